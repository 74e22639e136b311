package models

import (
	"strings"

	"gorm.io/gorm"
)

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

// searchReferrerOrFriend keeps the rows whose referrer (joined as ru) or friend (joined as
// fu) has search in their name or email; an empty search keeps every row.
func searchReferrerOrFriend(q *gorm.DB, search string) *gorm.DB {
	if strings.TrimSpace(search) == "" {
		return q
	}
	pat := containsPattern(search)
	return q.Where("(LOWER(ru.name) LIKE ?"+likeEscape+" OR ru.email LIKE ?"+likeEscape+
		" OR LOWER(fu.name) LIKE ?"+likeEscape+" OR fu.email LIKE ?"+likeEscape+")", pat, pat, pat, pat)
}

// wholeEmail is search as an email address when it is a whole one (name@host.tld),
// which the lists look up through the users' email index instead of searching text.
func wholeEmail(search string) (string, bool) {
	s := strings.ToLower(strings.TrimSpace(search))
	local, host, ok := strings.Cut(s, "@")
	if !ok || local == "" || !strings.Contains(host, ".") || strings.HasSuffix(host, ".") || strings.ContainsAny(s, " \t,;<>") {
		return "", false
	}
	return s, true
}
