package role

import (
	"strings"
	"unicode"
)

// maxCodeBase bounds the part of a code taken from the label, leaving room
// for a uniqueness suffix.
const maxCodeBase = 100

// fold maps common accented Latin letters (lower case) to ASCII.
var fold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a",
	'æ': "ae", 'ç': "c", 'ć': "c", 'č': "c", 'ĉ': "c", 'ċ': "c", 'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ĕ': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ĝ': "g", 'ğ': "g", 'ġ': "g", 'ģ': "g", 'ĥ': "h", 'ħ': "h",
	'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ĩ': "i", 'ī': "i", 'ĭ': "i", 'į': "i", 'ı': "i",
	'ĵ': "j", 'ķ': "k", 'ĺ': "l", 'ļ': "l", 'ľ': "l", 'ŀ': "l", 'ł': "l",
	'ñ': "n", 'ń': "n", 'ņ': "n", 'ň': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ŏ': "o", 'ő': "o", 'œ': "oe",
	'ŕ': "r", 'ŗ': "r", 'ř': "r", 'ś': "s", 'ŝ': "s", 'ş': "s", 'š': "s", 'ș': "s", 'ß': "ss",
	'ţ': "t", 'ť': "t", 'ŧ': "t", 'ț': "t", 'þ': "th",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ũ': "u", 'ū': "u", 'ŭ': "u", 'ů': "u", 'ű': "u", 'ų': "u",
	'ŵ': "w", 'ý': "y", 'ÿ': "y", 'ŷ': "y", 'ź': "z", 'ż': "z", 'ž': "z",
}

// CodeFromLabel derives the base of a role code from its label: accents
// folded to ASCII, upper case, every run of other characters turned into
// one underscore ("Chef d'équipe" → "CHEF_D_EQUIPE"). A label with no
// usable character gives "ROLE". The Service appends a short suffix when
// the code is already taken in the organization.
func CodeFromLabel(label string) string {
	var b strings.Builder
	sep := false
	emit := func(s string) {
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		b.WriteString(strings.ToUpper(s))
	}
	for _, r := range label {
		lr := unicode.ToLower(r)
		switch {
		case lr < 128 && (lr >= 'a' && lr <= 'z' || lr >= '0' && lr <= '9'):
			emit(string(lr))
		case fold[lr] != "":
			emit(fold[lr])
		default:
			sep = true
		}
		if b.Len() >= maxCodeBase {
			break
		}
	}
	code := strings.TrimRight(b.String()[:min(b.Len(), maxCodeBase)], "_")
	if code == "" {
		return "ROLE"
	}
	return code
}
