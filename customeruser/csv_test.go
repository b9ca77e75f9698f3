package customeruser_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/b2bkit/customerusers/customeruser"
)

func TestCSVReader(t *testing.T) {
	type rec = customeruser.CSVTestRecord
	tests := []struct {
		name string
		in   string
		want []rec
	}{
		{"simple LF", "a,b\nc,d\n", []rec{{Line: 1, Fields: []string{"a", "b"}}, {Line: 2, Fields: []string{"c", "d"}}}},
		{"CRLF and no final line break", "a,b\r\nc,d", []rec{{Line: 1, Fields: []string{"a", "b"}}, {Line: 2, Fields: []string{"c", "d"}}}},
		{"BOM skipped", "\xEF\xBB\xBFID,x\n1,2\n", []rec{{Line: 1, Fields: []string{"ID", "x"}}, {Line: 2, Fields: []string{"1", "2"}}}},
		{"empty fields", ",a,\n", []rec{{Line: 1, Fields: []string{"", "a", ""}}}},
		{"blank lines skipped but counted", "a\n\n\r\nb\n", []rec{{Line: 1, Fields: []string{"a"}}, {Line: 4, Fields: []string{"b"}}}},
		{"quoted comma, quote and line break", "\"x,y\",\"say \"\"hi\"\"\",\"l1\r\nl2\"\nz,w\n",
			[]rec{{Line: 1, Fields: []string{"x,y", `say "hi"`, "l1\nl2"}}, {Line: 3, Fields: []string{"z", "w"}}}},
		{"quoted empty and trailing", `"",""` + "\n", []rec{{Line: 1, Fields: []string{"", ""}}}},
		{"spaces kept", " a , b \n", []rec{{Line: 1, Fields: []string{" a ", " b "}}}},
		{"lone CR inside a field is data", "a\rb,c\n", []rec{{Line: 1, Fields: []string{"a\rb", "c"}}}},
		{"CR ending the file ends the line", "a,b\r", []rec{{Line: 1, Fields: []string{"a", "b"}}}},
		{"bare quote: error, then the next line", "a,b\"c,d\ne,f\n", []rec{
			{Line: 1, Column: 1, Err: `A quote inside a field needs the whole field in quotes, with the quote doubled ("").`},
			{Line: 2, Fields: []string{"e", "f"}},
		}},
		{"text after a closing quote", "\"a\"x,b\nc\n", []rec{
			{Line: 1, Column: 0, Err: "A closing quote must be followed by a comma or the end of the line."},
			{Line: 2, Fields: []string{"c"}},
		}},
		{"unterminated quote", "a,b\nc,\"d\ne\n", []rec{
			{Line: 1, Fields: []string{"a", "b"}},
			{Line: 2, Column: 1, Err: "A quoted field is not closed before the end of the file."},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := customeruser.ReadCSVForTest(strings.NewReader(tt.in), 0)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCSVReaderRecordLimit(t *testing.T) {
	in := "a,b\n" + strings.Repeat("x", 100) + ",y\nc,d\n"
	got, err := customeruser.ReadCSVForTest(strings.NewReader(in), 50)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []string{"a", "b"}, got[0].Fields)
	assert.Equal(t, 2, got[1].Line)
	assert.Contains(t, got[1].Err, "longer than 50 bytes")
	assert.Equal(t, customeruser.CSVTestRecord{Line: 3, Fields: []string{"c", "d"}}, got[2])
}
