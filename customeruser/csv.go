package customeruser

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The CSV layer of import and export: an RFC 4180 reader written for
// imports (it names the line and the field of every malformed record and
// then carries on at the next line, so that one broken row does not sink a
// file), the cell parsers shared by both imports, and the writer settings
// of the exports.

// csvMaxRecordBytes bounds one record, so that an unterminated quote cannot
// make the reader buffer a whole upload.
const csvMaxRecordBytes = 1 << 20

// utf8BOM starts files saved as "UTF-8 with BOM" (Excel does it).
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// csvError is a malformed record: the line it starts on, the index of the
// field where the reader gave up, and why.
type csvError struct {
	Line   int
	Column int
	Msg    string
}

func (e *csvError) Error() string {
	return fmt.Sprintf("line %d, field %d: %s", e.Line, e.Column+1, e.Msg)
}

// csvReader reads RFC 4180 records: fields separated by commas, records by
// CRLF or LF, fields containing commas, quotes or line breaks enclosed in
// double quotes with inner quotes doubled. A leading UTF-8 byte-order mark
// is skipped, blank lines are skipped (they still count as lines), and a
// line break inside a quoted field is returned as "\n". It does not check
// UTF-8: callers report invalid bytes per field.
type csvReader struct {
	r         *bufio.Reader
	line      int // line number of the next byte to read, from 1
	started   bool
	maxRecord int
	buf       []byte
	ends      []int
}

func newCSVReader(r io.Reader) *csvReader {
	return &csvReader{r: bufio.NewReaderSize(r, 64<<10), line: 1, maxRecord: csvMaxRecordBytes}
}

// Read returns the next record and the line it starts on, or io.EOF after
// the last one. A malformed record gives a *csvError, after which the
// reader resumes at the next line so that the caller can report the record
// and go on. Other errors come from the underlying reader.
func (r *csvReader) Read() (record []string, line int, err error) {
	if !r.started {
		r.started = true
		if b, _ := r.r.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
			_, _ = r.r.Discard(len(utf8BOM))
		}
	}
	// Skip blank lines.
	for {
		c, err := r.r.ReadByte()
		if err != nil {
			return nil, r.line, err
		}
		if c == '\n' {
			r.line++
			continue
		}
		if c == '\r' {
			// CRLF ends a blank line; a lone CR before any data is dropped.
			if next, err := r.r.Peek(1); err == nil && next[0] == '\n' {
				_, _ = r.r.ReadByte()
				r.line++
			}
			continue
		}
		_ = r.r.UnreadByte()
		break
	}
	line = r.line
	r.buf, r.ends = r.buf[:0], r.ends[:0]
	for {
		col := len(r.ends)
		fieldStart := len(r.buf)
		c, err := r.r.ReadByte()
		if err != nil && err != io.EOF {
			return nil, line, err
		}
		if err == nil && c == '"' {
			done, cerr := r.quoted(line, col)
			if cerr != nil {
				return nil, line, cerr
			}
			if done {
				return r.record(), line, nil
			}
			continue
		}
		// An unquoted field; c is its first byte unless the input ended.
		for {
			if err == io.EOF {
				// A CR ending the file ends the line, as encoding/csv reads it.
				if n := len(r.buf); n > fieldStart && r.buf[n-1] == '\r' {
					r.buf = r.buf[:n-1]
				}
				r.ends = append(r.ends, len(r.buf))
				return r.record(), line, nil
			}
			if err != nil {
				return nil, line, err
			}
			switch c {
			case ',':
				r.ends = append(r.ends, len(r.buf))
			case '\n':
				r.line++
				if n := len(r.buf); n > fieldStart && r.buf[n-1] == '\r' {
					r.buf = r.buf[:n-1]
				}
				r.ends = append(r.ends, len(r.buf))
				return r.record(), line, nil
			case '"':
				return nil, line, r.fail(line, col, `A quote inside a field needs the whole field in quotes, with the quote doubled ("").`)
			default:
				r.buf = append(r.buf, c)
				if len(r.buf) > r.maxRecord {
					return nil, line, r.fail(line, col, fmt.Sprintf("The row is longer than %d bytes.", r.maxRecord))
				}
				c, err = r.r.ReadByte()
				continue
			}
			break
		}
	}
}

// quoted reads a quoted field after its opening quote, up to and including
// the comma or line break that ends it; done says the record ended.
func (r *csvReader) quoted(line, col int) (done bool, err error) {
	for {
		c, err := r.r.ReadByte()
		if err == io.EOF {
			return false, &csvError{Line: line, Column: col, Msg: "A quoted field is not closed before the end of the file."}
		}
		if err != nil {
			return false, err
		}
		switch c {
		case '"':
			c2, err := r.r.ReadByte()
			if err == io.EOF {
				r.ends = append(r.ends, len(r.buf))
				return true, nil
			}
			if err != nil {
				return false, err
			}
			switch c2 {
			case '"':
				r.buf = append(r.buf, '"')
			case ',':
				r.ends = append(r.ends, len(r.buf))
				return false, nil
			case '\n':
				r.line++
				r.ends = append(r.ends, len(r.buf))
				return true, nil
			case '\r':
				if next, err := r.r.Peek(1); err == nil && next[0] == '\n' {
					_, _ = r.r.ReadByte()
					r.line++
					r.ends = append(r.ends, len(r.buf))
					return true, nil
				}
				return false, r.fail(line, col, "A closing quote must be followed by a comma or the end of the line.")
			default:
				return false, r.fail(line, col, "A closing quote must be followed by a comma or the end of the line.")
			}
		case '\r':
			if next, err := r.r.Peek(1); err == nil && next[0] == '\n' {
				_, _ = r.r.ReadByte()
				r.line++
				r.buf = append(r.buf, '\n')
			} else {
				r.buf = append(r.buf, '\r')
			}
		case '\n':
			r.line++
			r.buf = append(r.buf, '\n')
		default:
			r.buf = append(r.buf, c)
		}
		if len(r.buf) > r.maxRecord {
			return false, r.fail(line, col, fmt.Sprintf("The row is longer than %d bytes.", r.maxRecord))
		}
	}
}

// fail skips the rest of the current line and returns the error of the
// record that started on line.
func (r *csvReader) fail(line, col int, msg string) error {
	for {
		c, err := r.r.ReadByte()
		if err != nil {
			break
		}
		if c == '\n' {
			r.line++
			break
		}
	}
	return &csvError{Line: line, Column: col, Msg: msg}
}

// record returns the fields read, sharing one string.
func (r *csvReader) record() []string {
	s := string(r.buf)
	out := make([]string, len(r.ends))
	start := 0
	for i, end := range r.ends {
		out[i] = s[start:end]
		start = end
	}
	return out
}

// newCSVWriter returns the writer of the exports: RFC 4180 with CRLF line
// ends.
func newCSVWriter(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw
}

// csvFold is the form header and customer names are matched in: trimmed,
// lower-cased, inner runs of white space reduced to one space.
func csvFold(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// parseCSVBool reads 1/0, true/false, yes/no in any case.
func parseCSVBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "1", "true", "yes":
		return true, true
	case "0", "false", "no":
		return false, true
	}
	return false, false
}

// csvBool is how exports write a flag (Oro's 1/0).
func csvBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// csvDateLayouts are the birthday forms imports read: ISO 8601 dates (the
// form exports write), Oro's MM/DD/YYYY (with or without leading zeros),
// and ISO 8601 date-times, whose date is kept as written.
var csvDateLayouts = []string{time.DateOnly, "1/2/2006", time.RFC3339, "2006-01-02T15:04:05"}

// parseCSVDate reads a date in one of csvDateLayouts, as 00:00 UTC.
func parseCSVDate(s string) (time.Time, bool) {
	for _, layout := range csvDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
		}
	}
	return time.Time{}, false
}

// csvID writes an optional id: empty for uuid.Nil.
func csvID(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return id.String()
}
