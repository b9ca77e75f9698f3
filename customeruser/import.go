package customeruser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	cu "github.com/b2bkit/customerusers"
)

// ImportMode says what an import does with the rows it checks.
type ImportMode string

// The import modes.
const (
	// ModeValidate is a dry run: every row goes through the whole pipeline
	// (the same rules as the API) and nothing is written. The report's
	// counts say what an apply would do.
	ModeValidate ImportMode = "validate"
	// ModeSkipInvalid commits the valid rows, batch by batch (one
	// transaction per batch), and reports the others (Oro's behaviour).
	ModeSkipInvalid ImportMode = "skip-invalid"
	// ModeAllOrNothing writes the whole file in one transaction, or
	// nothing at all when any row is invalid.
	ModeAllOrNothing ImportMode = "all-or-nothing"
)

// The defaults and bounds of ImportOptions.
const (
	DefaultImportBatchSize = 500
	MaxImportBatchSize     = 10_000
	DefaultImportMaxErrors = 1000
)

// ImportOptions tune an import.
type ImportOptions struct {
	// Mode is ModeValidate (the default: the zero value writes nothing),
	// ModeSkipInvalid or ModeAllOrNothing.
	Mode ImportMode
	// SendWelcomeEmails e-mails each new non-guest user the "registered by
	// admin" welcome with a single-use set-password link. Without it an
	// import sends nothing: new users have no usable password until they
	// use forgot-password (or an administrator sends a link).
	SendWelcomeEmails bool
	// Progress, when set, is called after each batch with the number of
	// rows handled so far and ExpectedRows (0 when unknown), and once at
	// the end with both equal to the number of rows read.
	Progress func(done, total int)
	// ExpectedRows is the number of data rows, when the caller knows it
	// (from an earlier validate run, say); it is only passed to Progress.
	ExpectedRows int
	// BatchSize is the number of rows checked together (reference data is
	// loaded once per batch) and, in ModeSkipInvalid, committed in one
	// transaction; 0 means DefaultImportBatchSize.
	BatchSize int
	// MaxErrors caps the row errors listed in the report (the counts stay
	// exact); 0 means DefaultImportMaxErrors, a negative value no cap.
	MaxErrors int
}

func (o ImportOptions) normalize() (ImportOptions, error) {
	var v cu.Violations
	switch o.Mode {
	case "":
		o.Mode = ModeValidate
	case ModeValidate, ModeSkipInvalid, ModeAllOrNothing:
	default:
		v.Addf("mode", "enum", "The mode must be %s, %s or %s.", ModeValidate, ModeSkipInvalid, ModeAllOrNothing)
	}
	switch {
	case o.BatchSize == 0:
		o.BatchSize = DefaultImportBatchSize
	case o.BatchSize < 0 || o.BatchSize > MaxImportBatchSize:
		v.Addf("batchSize", "range", "The batch size must be between 1 and %d.", MaxImportBatchSize)
	}
	if o.MaxErrors == 0 {
		o.MaxErrors = DefaultImportMaxErrors
	}
	return o, v.Err()
}

// RowError is one problem with one row of an imported file.
type RowError struct {
	// Row is the line of the file the row starts on; the header is line 1.
	Row int `json:"row"`
	// Field is the column concerned, by its name in the file's format
	// ("Email Address", "Roles 2 Role"); a rule without a column keeps the
	// API's field name ("preferredLocalizationId"); empty when the whole
	// row is concerned.
	Field string `json:"field"`
	// Rule is the machine-readable rule (required, unique, format,
	// not_found, duplicate, encoding, csv...).
	Rule string `json:"rule,omitempty"`
	// Message is a human sentence.
	Message string `json:"message"`
}

// String formats the error as Oro's error log does.
func (e RowError) String() string {
	if e.Field == "" {
		return fmt.Sprintf("Error in row #%d. %s", e.Row, e.Message)
	}
	return fmt.Sprintf("Error in row #%d. %s: %s", e.Row, e.Field, e.Message)
}

// ImportReport says what an import did, or in ModeValidate (and for an
// all-or-nothing import that was rolled back) what it would have done.
type ImportReport struct {
	Mode ImportMode `json:"mode"`
	// Read counts the data rows read (the header and rows with every cell
	// empty aside).
	Read int `json:"read"`
	// Added, Updated, Unchanged and Deleted (addresses only) count the
	// rows by outcome; Errors counts the rows with at least one error.
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Deleted   int `json:"deleted"`
	Errors    int `json:"errors"`
	// RowErrors lists the problems, by row, up to ImportOptions.MaxErrors;
	// ErrorsTruncated says some were left out.
	RowErrors       []RowError `json:"rowErrors"`
	ErrorsTruncated bool       `json:"errorsTruncated,omitempty"`
	// Committed says something was written: false in ModeValidate, for an
	// all-or-nothing import with an error, and when no row changed
	// anything.
	Committed bool `json:"committed"`
	// Elapsed is the time the import took, by the Service's clock.
	Elapsed time.Duration `json:"elapsedNs"`
}

// BatchUserWriter is an optional UserRepository extension that creates
// many users in one round trip (a multi-row insert or COPY). Imports use it
// when Deps.Users implements it, and create users one by one otherwise. It
// has Create's contract for each user, in the transaction of ctx; on error
// nothing of the call remains.
type BatchUserWriter interface {
	CreateMany(ctx context.Context, users []User) error
}

// BatchUserUpdater is an optional UserRepository extension that updates
// many users in a few round trips, whatever their number. Imports use it
// for the users a batch changes when Deps.Users implements it, and update
// them one by one otherwise. It has Update's contract for each user
// (users[i] is written if its stored version is expectedVersions[i]; its
// role links and addresses become those of users[i]; the version goes up
// by one), in the transaction of ctx, and is all or nothing: on error
// nothing of the call remains. An error that concerns one user (not found,
// stale, a taken e-mail when the storage can tell whose) is a
// *BatchItemError naming it. A call names each user once; whether one user
// may take an e-mail another gives up in the same call is not specified
// (PostgreSQL checks uniqueness row by row, in an order of its choosing).
type BatchUserUpdater interface {
	UpdateMany(ctx context.Context, users []User, expectedVersions []int64) error
}

// BatchItemError is the error of a batch call that concerns one of its
// items, so that the caller can report it where it belongs.
type BatchItemError struct {
	// Index is the item's index in the call's slice.
	Index int
	// Err is the error of the item, as the single-item call would return it.
	Err error
}

func (e *BatchItemError) Error() string { return fmt.Sprintf("item %d: %v", e.Index, e.Err) }

// Unwrap returns Err, so that cu.CodeOf sees the item's error code.
func (e *BatchItemError) Unwrap() error { return e.Err }

// BatchUserReader is an optional UserRepository extension that finds the
// non-guest users with any of the given EmailKeys in one round trip
// (missing keys are left out). Imports use it to match a batch of rows by
// e-mail when Deps.Users implements it, and look the keys up one by one
// otherwise.
type BatchUserReader interface {
	GetManyByEmailKeys(ctx context.Context, org uuid.UUID, keys []string) ([]User, error)
}

// importOutcome is what became of a row.
type importOutcome int8

const (
	outInvalid importOutcome = iota
	outAdded
	outUpdated
	outUnchanged
	outDeleted
)

// importOp is the checked form of one row: its outcome, its errors and
// what to write. col maps a service field ("email", "roleIds[1]") to the
// row's column for errors found when writing.
type importOp struct {
	line    int
	outcome importOutcome
	errs    []RowError
	col     func(field string) string
	user    *userWrite
	addr    *addressWrite
}

// fail marks op invalid with the errors of err (a row-level error).
func (op *importOp) fail(err error) {
	op.outcome = outInvalid
	op.errs = append(op.errs, rowErrorsOf(op.line, err, op.col)...)
}

// csvRow is a record read from the file, or the reader's error for it.
type csvRow struct {
	line   int
	fields []string
	err    *csvError
}

// importKind is what differs between the user and the address imports.
type importKind interface {
	// plan checks a batch of rows (loading reference data once, with ctx)
	// and returns one op per row. Only storage failures are errors.
	plan(ctx context.Context, rows []csvRow) ([]*importOp, error)
	// apply writes the valid ops in the transaction of ctx. A problem with
	// one row is an *importFailure naming it (op nil when the batch as a
	// whole failed); anything else aborts the import.
	apply(ctx context.Context, ops []*importOp) error
}

// importFailure is a row-level error met while writing.
type importFailure struct {
	op  *importOp
	err error
}

func (f *importFailure) Error() string { return f.err.Error() }
func (f *importFailure) Unwrap() error { return f.err }

// errImportRollback rolls back an all-or-nothing import that met an error.
var errImportRollback = errors.New("customeruser: import rolled back")

// rowLevel reports whether err concerns the row being imported (bad data,
// a conflict, a stale read, a refusal) rather than the import itself.
func rowLevel(err error) bool {
	switch cu.CodeOf(err) {
	case cu.CodeInvalid, cu.CodeNotFound, cu.CodeConflict, cu.CodeStale, cu.CodeForbidden:
		return true
	}
	return false
}

// rowErrorsOf turns a row-level error into row errors, naming columns with
// col.
func rowErrorsOf(line int, err error, col func(string) string) []RowError {
	var e *cu.Error
	if !errors.As(err, &e) {
		return []RowError{{Row: line, Message: err.Error()}}
	}
	if len(e.Violations) == 0 {
		return []RowError{{Row: line, Rule: string(e.Code), Message: e.Message}}
	}
	out := make([]RowError, 0, len(e.Violations))
	for _, v := range e.Violations {
		field := v.Field
		if col != nil {
			field = col(field)
		}
		out = append(out, RowError{Row: line, Field: field, Rule: v.Rule, Message: v.Message})
	}
	return out
}

// addRowErrors appends errs to op unless the column already has one, so
// that a cell the mapper rejected is not reported again by the rules that
// then missed its value.
func addRowErrors(op *importOp, errs []RowError) {
	for _, e := range errs {
		dup := false
		for _, x := range op.errs {
			if x.Field == e.Field && (e.Field != "" || x.Message == e.Message) {
				dup = true
				break
			}
		}
		if !dup {
			op.errs = append(op.errs, e)
		}
	}
	if len(op.errs) > 0 {
		op.outcome = outInvalid
	}
}

// importJob runs one import: it reads rows, hands them to the kind in
// batches and writes according to the mode.
type importJob struct {
	s      *Service
	opts   ImportOptions
	rep    *ImportReport
	cr     *csvReader
	kind   importKind
	width  int  // the number of header columns
	halted bool // all-or-nothing: nothing more is written
}

// run streams the file and writes as the mode says.
func (j *importJob) run(ctx context.Context) error {
	if j.opts.Mode != ModeAllOrNothing {
		return j.stream(ctx)
	}
	err := j.s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := j.stream(ctx); err != nil {
			return err
		}
		if j.halted || j.rep.Errors > 0 {
			return errImportRollback
		}
		return nil
	})
	if errors.Is(err, errImportRollback) {
		return nil
	}
	if err == nil {
		j.rep.Committed = j.rep.Added+j.rep.Updated+j.rep.Deleted > 0
	}
	return err
}

// stream reads the rows after the header in batches.
func (j *importJob) stream(ctx context.Context) error {
	batch := make([]csvRow, 0, j.opts.BatchSize)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec, line, err := j.cr.Read()
		if err == io.EOF {
			break
		}
		var ce *csvError
		switch {
		case errors.As(err, &ce):
			batch = append(batch, csvRow{line: line, err: ce})
		case err != nil:
			return cu.Internal(fmt.Errorf("reading the file: %w", err))
		case importBlank(rec):
			continue
		default:
			batch = append(batch, csvRow{line: line, fields: rec})
		}
		j.rep.Read++
		if len(batch) == j.opts.BatchSize {
			if err := j.flush(ctx, batch); err != nil {
				return err
			}
			if j.halted {
				return nil
			}
			batch = make([]csvRow, 0, j.opts.BatchSize)
		}
	}
	if len(batch) > 0 {
		if err := j.flush(ctx, batch); err != nil {
			return err
		}
	}
	if j.opts.Progress != nil && !j.halted {
		j.opts.Progress(j.rep.Read, j.rep.Read)
	}
	return nil
}

// importBlank reports a record whose cells are all empty (spreadsheets
// leave such rows behind); it is skipped.
func importBlank(rec []string) bool {
	for _, f := range rec {
		if f != "" {
			return false
		}
	}
	return true
}

// flush checks a batch and writes its valid rows as the mode says.
func (j *importJob) flush(ctx context.Context, rows []csvRow) error {
	for i := range rows {
		if rows[i].err == nil && len(rows[i].fields) != j.width {
			rows[i].err = &csvError{Line: rows[i].line, Column: -1,
				Msg: fmt.Sprintf("The row has %d fields but the header has %d.", len(rows[i].fields), j.width)}
		}
	}
	ops, err := j.kind.plan(ctx, rows)
	if err != nil {
		return err
	}
	valid := make([]*importOp, 0, len(ops))
	invalid := false
	for _, op := range ops {
		switch op.outcome {
		case outInvalid:
			invalid = true
		case outUnchanged:
		default:
			valid = append(valid, op)
		}
	}
	switch j.opts.Mode {
	case ModeAllOrNothing:
		// Once a row is invalid nothing is written any more (it would be
		// rolled back); the later rows are still checked and reported.
		if !invalid && j.rep.Errors == 0 && len(valid) > 0 {
			if err := j.kind.apply(ctx, valid); err != nil {
				var f *importFailure
				if !errors.As(err, &f) || !rowLevel(f.err) {
					return err
				}
				// A storage error may have spoilt the transaction (PostgreSQL
				// refuses further statements): stop here.
				j.halted = true
				j.failBatch(f, ops)
			}
		}
	case ModeSkipInvalid:
		if len(valid) > 0 {
			if err := j.applySkipInvalid(ctx, valid); err != nil {
				return err
			}
		}
	}
	for _, op := range ops {
		j.count(op)
	}
	if j.opts.Progress != nil && !j.halted {
		j.opts.Progress(j.rep.Read, j.opts.ExpectedRows)
	}
	return nil
}

// failBatch records a write failure of an all-or-nothing batch on its row,
// or on the first row of the batch when the storage did not say which.
func (j *importJob) failBatch(f *importFailure, ops []*importOp) {
	op := f.op
	if op == nil {
		op = ops[0]
		op.outcome = outInvalid
		op.errs = append(op.errs, RowError{Row: op.line, Rule: string(cu.CodeOf(f.err)),
			Message: "Writing the batch starting on this row failed: " + f.err.Error()})
		return
	}
	op.fail(f.err)
}

// applySkipInvalid commits valid in one transaction; when a row fails, the
// batch is rolled back and retried row by row, each row in its own
// transaction, so that exactly the rows that can be written are.
func (j *importJob) applySkipInvalid(ctx context.Context, valid []*importOp) error {
	err := j.s.d.Tx.InTx(ctx, func(ctx context.Context) error { return j.kind.apply(ctx, valid) })
	if err == nil {
		j.rep.Committed = true
		return nil
	}
	var f *importFailure
	if !errors.As(err, &f) || !rowLevel(f.err) {
		return err
	}
	for _, op := range valid {
		err := j.s.d.Tx.InTx(ctx, func(ctx context.Context) error { return j.kind.apply(ctx, []*importOp{op}) })
		switch {
		case err == nil:
			j.rep.Committed = true
		case errors.As(err, &f) && rowLevel(f.err):
			op.fail(f.err)
		default:
			return err
		}
	}
	return nil
}

// count adds op to the report.
func (j *importJob) count(op *importOp) {
	switch op.outcome {
	case outAdded:
		j.rep.Added++
	case outUpdated:
		j.rep.Updated++
	case outUnchanged:
		j.rep.Unchanged++
	case outDeleted:
		j.rep.Deleted++
	default:
		j.rep.Errors++
		for _, e := range op.errs {
			if j.opts.MaxErrors > 0 && len(j.rep.RowErrors) >= j.opts.MaxErrors {
				j.rep.ErrorsTruncated = true
				break
			}
			j.rep.RowErrors = append(j.rep.RowErrors, e)
		}
	}
}

// readImportHeader reads the header line; a missing or malformed header is
// an invalid error on field "file".
func readImportHeader(cr *csvReader) ([]string, error) {
	h, _, err := cr.Read()
	var ce *csvError
	switch {
	case err == io.EOF:
		return nil, cu.FieldError("file", "empty", "The file is empty: it needs a header line.")
	case errors.As(err, &ce):
		return nil, cu.FieldError("file", "csv", "The header line is malformed. "+ce.Msg)
	case err != nil:
		return nil, cu.Internal(fmt.Errorf("reading the file: %w", err))
	}
	return h, nil
}

// importView returns a Service with the rules, configuration and hooks of
// s over other dependencies: the import gives it repositories that answer
// from reference data loaded once per batch, so that every row goes
// through the very checks of CreateUser and UpdateUser without a storage
// round trip per look-up. It must copy every field of Service but d (a
// test keeps it in step).
func (s *Service) importView(d Deps) *Service {
	v := &Service{
		d: d, cfg: s.cfg, clock: s.clock, newID: s.newID, log: s.log,
		validateAttributes: s.validateAttributes, related: s.related, hasher: s.hasher,
	}
	v.deleteHooks.add(s.deleteHooks.load()...)
	v.registrationHooks.add(s.registrationHooks.load()...)
	v.revokeHooks.add(s.revokeHooks.load()...)
	return v
}

// newImportJob starts an import: it checks the actor and the options and
// reads the header. The report is returned even on error.
func (s *Service) newImportJob(actor cu.Actor, r io.Reader, opts ImportOptions, rep *ImportReport) (*importJob, []string, error) {
	if err := userActorCheck(actor); err != nil {
		return nil, nil, err
	}
	o, err := opts.normalize()
	if err != nil {
		return nil, nil, err
	}
	rep.Mode = o.Mode
	cr := newCSVReader(r)
	header, err := readImportHeader(cr)
	if err != nil {
		return nil, nil, err
	}
	return &importJob{s: s, opts: o, rep: rep, cr: cr, width: len(header)}, header, nil
}
