package models

import "strings"

// Lists search with SQL LIKE on lower-cased columns, so the same query behaves alike on
// SQLite and PostgreSQL (whose LIKE is case-sensitive).

// likeEscape is the ESCAPE clause every search pattern is used with.
const likeEscape = ` ESCAPE '\'`

// containsPattern is the LIKE pattern of text containing s, in lower case, with the
// characters LIKE treats specially taken literally: a search for "50%" finds "50%".
func containsPattern(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
	return "%" + s + "%"
}
