package httpadapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// CSVContentType is the media type of the CSV files the back office's
// export and template routes answer. The import routes take text/csv
// bodies, with no charset or charset=utf-8.
const CSVContentType = "text/csv; charset=utf-8"

// csvFile stands for a CSV body in a route table: as route.body the
// request is a text/csv file, as route.resp the answer is a text/csv
// download. doc describes it in the OpenAPI document.
type csvFile struct{ doc string }

// The downloads' file names (Content-Disposition).
const (
	usersFileName         = "customer-users.csv"
	addressesFileName     = "customer-user-addresses.csv"
	usersTemplateFileName = "customer-users-template.csv"
	addressesTemplateFile = "customer-user-addresses-template.csv"
)

// exportCutMessage is logged when an export fails after its first byte.
const exportCutMessage = "httpadapter: export failed after the first byte; the download was cut"

// exportFilterParams are the list filters and sort of GET /customer-users
// without its paging: an export writes every matching user.
var exportFilterParams = slices.DeleteFunc(slices.Clone(userListParams), func(p param) bool {
	return p.name == paramLimit.name || p.name == paramCursor.name
})

// userExportParams are the parameters of the customer-user export.
var userExportParams = append(slices.Clone(exportFilterParams), param{name: "roleColumns", kind: pInt,
	doc: "The number of role columns (Roles 1 Role, Roles 2 Role...). Default: as many as the user with the most roles " +
		"needs; with a fixed number, a user holding more roles stops the export (422 before the first byte)."})

// importModeParam is the mode of both imports.
var importModeParam = param{name: "mode", kind: pEnum, enum: []string{
	string(customeruser.ModeValidate), string(customeruser.ModeSkipInvalid), string(customeruser.ModeAllOrNothing),
}, doc: "validate (the default) checks every row with the API's rules and writes nothing; skip-invalid commits " +
	"the valid rows and reports the others; all-or-nothing commits the whole file in one transaction, or " +
	"nothing when any row is invalid."}

// userImportParams are the parameters of the customer-user import.
var userImportParams = []param{importModeParam,
	{name: "sendWelcomeEmails", kind: pBool, doc: "E-mail each new customer user a welcome with a set-password " +
		"link. Without it the import e-mails nobody, and new users have no usable password until they use " +
		"forgot-password."},
}

const exportDoc = `An RFC 4180 CSV file with Oro-compatible columns, streamed as the users are read (keyset order, the
filters and sort of the list endpoint). An error before the first byte is answered as a problem; an error after it
cuts the connection, so that a truncated file never looks complete (the transfer fails) and the error is logged.`

const importDoc = `An RFC 4180 CSV file in UTF-8 (with or without a byte-order mark) with the columns of the export
(any subset that identifies the rows). The body is read to the end before the import starts (held in memory, or in
a temporary file when large), so a body over the size limit (413) or a broken upload changes nothing, and an
all-or-nothing import's transaction does not wait on the client.`

// importExportRoutes are the back office's CSV routes: exports of the
// users (and of their addresses) with the list's filters, the templates
// and the imports.
func (a *api) importExportRoutes() []*route {
	const tag = "Import and export"
	return []*route{
		{method: http.MethodGet, path: "/customer-users/export", op: "exportCustomerUsers", tag: tag,
			summary: "Download the customer users matching the list filters as a CSV file.", query: userExportParams,
			status: http.StatusOK, resp: csvFile{doc: exportDoc},
			handle: a.exportCSV(usersFileName, a.cfg.Users.ExportUsers)},
		{method: http.MethodGet, path: "/customer-users/export/addresses", op: "exportCustomerUserAddresses", tag: tag,
			summary: "Download the addresses of the customer users matching the list filters as a CSV file.",
			query:   exportFilterParams, status: http.StatusOK, resp: csvFile{doc: exportDoc},
			handle: a.exportCSV(addressesFileName, a.cfg.Users.ExportAddresses)},
		{method: http.MethodGet, path: "/customer-users/import/template", op: "getCustomerUserImportTemplate", tag: tag,
			summary: "Download the customer-user CSV template: the header and one sample row.",
			status:  http.StatusOK, resp: csvFile{doc: "The header of a customer-user file and one sample row of a new user."},
			handle: a.csvTemplate(usersTemplateFileName, a.cfg.Users.WriteUserTemplate)},
		{method: http.MethodGet, path: "/customer-users/import/addresses/template", op: "getCustomerUserAddressImportTemplate",
			tag: tag, summary: "Download the address CSV template: the header and one sample row.",
			status: http.StatusOK, resp: csvFile{doc: "The header of an address file and one sample row of a new address."},
			handle: a.csvTemplate(addressesTemplateFile, a.cfg.Users.WriteAddressTemplate)},
		{method: http.MethodPost, path: "/customer-users/import", op: "importCustomerUsers", tag: tag,
			summary: "Import customer users from CSV (add or update); row errors are in the report, a bad header is a 422.",
			query:   userImportParams, body: csvFile{doc: importDoc}, status: http.StatusOK, resp: importReportOut{},
			handle: a.importCSV(a.cfg.Users.ImportUsers)},
		{method: http.MethodPost, path: "/customer-users/import/addresses", op: "importCustomerUserAddresses", tag: tag,
			summary: "Import customer-user addresses from CSV (add, update, delete); row errors are in the report, a bad header is a 422.",
			query:   []param{importModeParam}, body: csvFile{doc: importDoc}, status: http.StatusOK, resp: importReportOut{},
			handle: a.importCSV(a.cfg.Users.ImportAddresses)},
	}
}

// importReportOut is the answer of an import (customeruser.ImportReport).
type importReportOut struct {
	Mode      string `json:"mode" enum:"validate,skip-invalid,all-or-nothing"`
	Read      int    `json:"read" doc:"Data rows read (blank rows aside)."`
	Added     int    `json:"added"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Deleted   int    `json:"deleted" doc:"Addresses removed by a Delete cell of 1."`
	Errors    int    `json:"errors" doc:"Rows with at least one error."`
	// RowErrors lists the problems row by row.
	RowErrors       []importRowErrorOut `json:"rowErrors"`
	ErrorsTruncated bool                `json:"errorsTruncated" doc:"Some row errors were left out of rowErrors (the counts stay exact)."`
	Committed       bool                `json:"committed" doc:"Something was written: false in validate mode, for an all-or-nothing import with an error, and when no row changed anything."`
	ElapsedMs       int64               `json:"elapsedMs" doc:"How long the import took, in milliseconds (the body upload aside)."`
}

// importRowErrorOut is one problem with one row (customeruser.RowError).
type importRowErrorOut struct {
	Row     int    `json:"row" doc:"The line the row starts on; the header is line 1."`
	Field   string `json:"field" doc:"The column, by its name in the file; empty when the whole row is concerned."`
	Rule    string `json:"rule" doc:"The machine-readable rule (required, unique, format, not_found, duplicate, encoding, csv...)."`
	Message string `json:"message"`
}

func toImportReport(r customeruser.ImportReport) importReportOut {
	out := importReportOut{
		Mode: string(r.Mode), Read: r.Read, Added: r.Added, Updated: r.Updated, Unchanged: r.Unchanged,
		Deleted: r.Deleted, Errors: r.Errors, RowErrors: make([]importRowErrorOut, 0, len(r.RowErrors)),
		ErrorsTruncated: r.ErrorsTruncated, Committed: r.Committed, ElapsedMs: r.Elapsed.Milliseconds(),
	}
	for _, e := range r.RowErrors {
		out.RowErrors = append(out.RowErrors, importRowErrorOut{Row: e.Row, Field: e.Field, Rule: e.Rule, Message: e.Message})
	}
	return out
}

// csvDownload is the io.Writer an export writes to: the status and the
// download headers go out with the first byte, so that an error before it
// can still be answered as a problem. It flushes each write, so that the
// client receives rows as they are read.
type csvDownload struct {
	w        http.ResponseWriter
	name     string
	started  bool
	writeErr error
}

// start sends the status and headers of the download, once.
func (d *csvDownload) start() {
	if d.started {
		return
	}
	d.started = true
	h := d.w.Header()
	h.Set("Content-Type", CSVContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.name}))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	d.w.WriteHeader(http.StatusOK)
}

func (d *csvDownload) Write(p []byte) (int, error) {
	d.start()
	n, err := d.w.Write(p)
	if err != nil {
		d.writeErr = err
		return n, err
	}
	if err := http.NewResponseController(d.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		d.writeErr = err
		return n, err
	}
	return n, nil
}

// exportFunc is ExportUsers or ExportAddresses.
type exportFunc func(ctx context.Context, actor cu.Actor, f customeruser.UserFilter, w io.Writer, opts customeruser.ExportOptions) (customeruser.ExportReport, error)

// exportCSV streams an export. An error before the first byte is answered
// as a problem; after it the connection is cut (http.ErrAbortHandler), so
// that the client sees a failed transfer rather than a complete-looking
// truncated file, and the error is logged.
func (a *api) exportCSV(name string, export exportFunc) func(*call) error {
	return func(c *call) error {
		opts := customeruser.ExportOptions{Sort: c.page().Sort}
		if n, ok := c.query["roleColumns"].(int); ok {
			opts.RoleColumns = n
		}
		d := &csvDownload{w: c.w, name: name}
		rep, err := export(c.ctx(), c.actor, c.userListFilter(), d, opts)
		if err == nil {
			d.start() // an export always writes its header; this is a safeguard
			return nil
		}
		if !d.started {
			return err
		}
		attrs := []any{"method", c.r.Method, "path", c.r.URL.Path, "rows", rep.Rows, "err", err}
		if d.writeErr != nil || c.ctx().Err() != nil {
			// The client went away: nothing is wrong on this side.
			a.log.WarnContext(c.ctx(), exportCutMessage+" (client gone)", attrs...)
		} else {
			a.log.ErrorContext(c.ctx(), exportCutMessage, attrs...)
		}
		panic(http.ErrAbortHandler)
	}
}

// csvTemplate answers a template file.
func (a *api) csvTemplate(name string, write func(io.Writer) error) func(*call) error {
	return func(c *call) error {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			return cu.Internal(err)
		}
		c.w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		d := &csvDownload{w: c.w, name: name}
		_, _ = d.Write(buf.Bytes())
		return nil
	}
}

// importFunc is ImportUsers or ImportAddresses.
type importFunc func(ctx context.Context, actor cu.Actor, r io.Reader, opts customeruser.ImportOptions) (customeruser.ImportReport, error)

// importCSV reads a text/csv body to the end, then imports it and answers
// the report. A malformed header (or an empty file) is the service's
// invalid error, a 422 problem; row errors are in the 200 report.
func (a *api) importCSV(run importFunc) func(*call) error {
	return func(c *call) error {
		if err := checkCSVContentType(c.r); err != nil {
			return err
		}
		body, done, err := c.readCSVBody(a.importLimits())
		if err != nil {
			return err
		}
		defer done()
		opts := customeruser.ImportOptions{Mode: customeruser.ImportMode(c.qString("mode"))}
		if b := c.qBool("sendWelcomeEmails"); b != nil {
			opts.SendWelcomeEmails = *b
		}
		rep, err := run(c.ctx(), c.actor, body, opts)
		if err != nil {
			return err
		}
		return c.ok(toImportReport(rep))
	}
}

// importLimits are the import body limit and how much of it is held in
// memory.
func (a *api) importLimits() (limit, memory int64) {
	limit, memory = a.cfg.MaxImportBytes, a.cfg.ImportMemoryBytes
	if limit <= 0 {
		limit = DefaultMaxImportBytes
	}
	if memory <= 0 {
		memory = DefaultImportMemoryBytes
	}
	return limit, memory
}

// checkCSVContentType accepts text/csv bodies, in UTF-8 when a charset is
// given (415 otherwise).
func checkCSVContentType(r *http.Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && mt == "text/csv" {
		cs := strings.ToLower(params["charset"])
		if cs == "" || cs == "utf-8" || cs == "utf8" {
			return nil
		}
		return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
			detail: fmt.Sprintf("The CSV file must be UTF-8, not %s.", params["charset"])}
	}
	return &httpError{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type",
		detail: "The request body must be a CSV file sent as Content-Type: text/csv."}
}

// readCSVBody reads the whole request body, at most limit bytes (413
// beyond), before the import starts: the first memory bytes in memory, the
// rest in a temporary file. Reading first means that an
// oversized or broken upload is refused before anything is written, and
// that an all-or-nothing import's transaction never waits on the client.
// done releases the buffer (it removes the file).
func (c *call) readCSVBody(limit, memory int64) (body io.Reader, done func(), err error) {
	tooLarge := &httpError{status: http.StatusRequestEntityTooLarge, code: "payload_too_large",
		detail: fmt.Sprintf("The CSV file must be at most %d bytes.", limit)}
	if c.r.ContentLength > limit {
		return nil, nil, tooLarge
	}
	src := http.MaxBytesReader(c.w, c.r.Body, limit)
	readErr := func(err error) error {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return tooLarge
		}
		return badRequest("The request body could not be read: %s.", err.Error())
	}
	var mem bytes.Buffer
	if _, err := io.CopyN(&mem, src, memory); errors.Is(err, io.EOF) {
		return bytes.NewReader(mem.Bytes()), func() {}, nil
	} else if err != nil {
		return nil, nil, readErr(err)
	}
	f, err := os.CreateTemp("", "customerusers-import-*.csv")
	if err != nil {
		return nil, nil, cu.Internal(fmt.Errorf("import buffer: %w", err))
	}
	done = func() {
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	if _, err := mem.WriteTo(f); err != nil {
		done()
		return nil, nil, cu.Internal(fmt.Errorf("import buffer: %w", err))
	}
	if _, err := io.Copy(f, src); err != nil {
		done()
		var (
			mbe *http.MaxBytesError
			pe  *os.PathError
		)
		if !errors.As(err, &mbe) && errors.As(err, &pe) {
			// Writing the file failed (a full disk, say).
			return nil, nil, cu.Internal(fmt.Errorf("import buffer: %w", err))
		}
		return nil, nil, readErr(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		done()
		return nil, nil, cu.Internal(fmt.Errorf("import buffer: %w", err))
	}
	return f, done, nil
}
