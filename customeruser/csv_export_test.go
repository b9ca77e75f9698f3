package customeruser

import (
	"errors"
	"io"
)

// Exported for the external tests of the CSV layer and the row mappers.

// CSVTestRecord is one record of ReadCSVForTest: its fields, or the
// reader's error for it.
type CSVTestRecord struct {
	Line   int
	Fields []string
	Err    string
	Column int
}

// ReadCSVForTest reads every record of r with the import reader, records
// at most maxRecord bytes long (0: the default).
func ReadCSVForTest(r io.Reader, maxRecord int) ([]CSVTestRecord, error) {
	cr := newCSVReader(r)
	if maxRecord > 0 {
		cr.maxRecord = maxRecord
	}
	var out []CSVTestRecord
	for {
		rec, line, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		var ce *csvError
		switch {
		case errors.As(err, &ce):
			out = append(out, CSVTestRecord{Line: line, Err: ce.Msg, Column: ce.Column})
		case err != nil:
			return out, err
		default:
			out = append(out, CSVTestRecord{Line: line, Fields: rec})
		}
	}
}

// MapUserRowForTest parses a customer-user header and maps one record
// under it, returning the row errors; the error is the header's.
func MapUserRowForTest(header []string, line int, fields []string) ([]RowError, error) {
	cols, err := parseUserHeader(header)
	if err != nil {
		return nil, err
	}
	r := mapUserRow(cols, csvRow{line: line, fields: fields})
	return r.errs, nil
}

// MapAddressRowForTest is MapUserRowForTest for address files.
func MapAddressRowForTest(header []string, line int, fields []string) ([]RowError, error) {
	cols, err := parseAddressHeader(header)
	if err != nil {
		return nil, err
	}
	r := mapAddressRow(cols, csvRow{line: line, fields: fields})
	return r.errs, nil
}
