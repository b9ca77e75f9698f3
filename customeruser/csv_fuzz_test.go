package customeruser_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	cu "github.com/b2bkit/customerusers"
	"github.com/b2bkit/customerusers/customeruser"
)

// The fuzz targets' seed corpora are in testdata/fuzz/<target>; these are
// added on top.

// fuzzHarness is one harness shared by the inputs of a fuzz target (each
// input runs a dry run only, so the state never changes).
var (
	fuzzOnce sync.Once
	fuzzH    *harness
)

func fuzzHarness(t *testing.T) *harness {
	fuzzOnce.Do(func() {
		fuzzH = newHarness(t)
		acme := fuzzH.customer("Acme", uuid.Nil)
		fuzzH.user(acme.ID, "taken@acme.test")
	})
	return fuzzH
}

// FuzzReadUsersCSV feeds arbitrary bytes to the import's CSV reader and then
// to a validating user import. Neither may panic; the reader must account
// for every line, and any records it reads must come back unchanged when
// written by encoding/csv and read again.
func FuzzReadUsersCSV(f *testing.F) {
	f.Add([]byte("ID,Email Address\n,a@b.test\n"))
	f.Add([]byte("\xEF\xBB\xBFEmail Address,First Name,Last Name,Roles 1 Role\r\nx@y.test,\"A, \"\"B\"\"\",C,BUYER\r\n"))
	f.Add([]byte("Email Address,First Name\n\"unterminated,x\n"))
	f.Add([]byte("a,b\"c\n\"d\"e\n\n\r\n,,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := customeruser.ReadCSVForTest(bytes.NewReader(data), 4096)
		require.NoError(t, err)
		last := 0
		var good [][]string
		for _, r := range recs {
			require.GreaterOrEqual(t, r.Line, 1)
			require.Greater(t, r.Line, last, "records start on increasing lines")
			require.LessOrEqual(t, r.Line, bytes.Count(data, []byte("\n"))+1)
			last = r.Line
			if r.Err == "" && !(len(r.Fields) == 1 && r.Fields[0] == "") {
				good = append(good, r.Fields)
			}
		}
		if len(good) > 0 {
			var b bytes.Buffer
			// LF line ends: with CRLF, encoding/csv drops a lone CR inside a
			// field, which the reader keeps.
			w := csv.NewWriter(&b)
			require.NoError(t, w.WriteAll(good))
			again, err := customeruser.ReadCSVForTest(&b, 0)
			require.NoError(t, err)
			require.Len(t, again, len(good))
			for i, r := range again {
				require.Empty(t, r.Err)
				require.Equal(t, good[i], r.Fields)
			}
		}

		h := fuzzHarness(t)
		rep, err := h.svc.ImportUsers(h.ctx, h.admin, bytes.NewReader(data), customeruser.ImportOptions{Mode: customeruser.ModeValidate, BatchSize: 3})
		if err != nil {
			require.Equal(t, cu.CodeInvalid, cu.CodeOf(err), "%v", err)
			return
		}
		assert.False(t, rep.Committed)
		assert.Equal(t, rep.Read, rep.Added+rep.Updated+rep.Unchanged+rep.Errors)
		for _, e := range rep.RowErrors {
			assert.Greater(t, e.Row, 1)
			assert.NotEmpty(t, e.Message)
		}
	})
}

// FuzzMapUserRow maps arbitrary cells under arbitrary headers (cells are
// separated by "|") with the user and the address mappers: they must
// never panic, and every row error must be about the row and name a
// column of the header (or none).
func FuzzMapUserRow(f *testing.F) {
	f.Add(customeruserHeader, ",Mr,Jerry,John,Coleman,Jr.,04/19/1987,jerry@acme.test,,Acme,BUYER,,0,1,1,,")
	f.Add("ID|Birthday|Guest|Customer Id", "42|1987-02-30|maybe|\xff")
	f.Add("Email Address|Roles 2 Role|Roles 1 Role", " x@y.test | ADMIN |")
	f.Add("Address ID|Email Address|Billing|Default Billing|State Combined code", "|u@x.test|0|1|US-FL")
	f.Fuzz(func(t *testing.T, header, row string) {
		sep := func(s string) []string {
			if strings.Contains(s, "|") {
				return strings.Split(s, "|")
			}
			return strings.Split(s, ",")
		}
		h, cells := sep(header), sep(row)
		for _, mapRow := range []func([]string, int, []string) ([]customeruser.RowError, error){
			customeruser.MapUserRowForTest, customeruser.MapAddressRowForTest,
		} {
			errs, err := mapRow(h, 7, cells)
			if err != nil {
				require.Equal(t, cu.CodeInvalid, cu.CodeOf(err))
				continue
			}
			for _, e := range errs {
				assert.Equal(t, 7, e.Row)
				assert.NotEmpty(t, e.Rule)
				if e.Field != "" {
					found := false
					for _, name := range h {
						found = found || strings.EqualFold(strings.Join(strings.Fields(name), " "), e.Field)
					}
					assert.True(t, found, "error field %q is not a column of %q", e.Field, h)
				}
			}
		}
	})
}

// customeruserHeader is the full header of a customer-user file with one
// role column, "|"-separated for FuzzMapUserRow.
var customeruserHeader = strings.ReplaceAll("ID,Name Prefix,First Name,Middle Name,Last Name,Name Suffix,Birthday,"+
	"Email Address,Customer Id,Customer Name,Roles 1 Role,Roles 2 Role,Guest,Enabled,Confirmed,Owner Id,Website Id", ",", "|")
