package models_test

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"referrals/models/modelstest"
)

// TestMigrationsMakeTheSameSchemaOnBothDatabases reads the schema each migration set
// leaves behind, as each database reports it (PostgreSQL's catalogs, SQLite's pragmas),
// and compares them: tables, columns (type family, nullability, default), primary keys,
// unique and check constraints, foreign keys, indexes and triggers. A migration added to
// one folder and not the other, or spelled differently in meaning, fails here.
func TestMigrationsMakeTheSameSchemaOnBothDatabases(t *testing.T) {
	lite := readSQLiteSchema(t, modelstest.SQLite(t).Store.DB())
	pg := readPostgresSchema(t, modelstest.Postgres(t).Store.DB())

	var diffs []string
	for _, line := range lite {
		if !slices.Contains(pg, line) {
			diffs = append(diffs, "only on SQLite:     "+line)
		}
	}
	for _, line := range pg {
		if !slices.Contains(lite, line) {
			diffs = append(diffs, "only on PostgreSQL: "+line)
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		t.Fatalf("the two migration sets disagree:\n%s", strings.Join(diffs, "\n"))
	}
	if len(lite) < 100 {
		t.Fatalf("read only %d schema facts; the reader is broken:\n%s", len(lite), strings.Join(lite, "\n"))
	}
}

// ownTable reports whether a table is the app's own: the job queue's tables (River's
// migrations differ per driver by design) and the migration tools' are left out.
func ownTable(name string) bool {
	return !strings.HasPrefix(name, "river_") && !strings.HasPrefix(name, "sqlite_") && name != "goose_db_version"
}

// typeFamily maps a declared column type to what it means to the app, since the two
// databases spell the same thing differently (BIGINT identity / INTEGER PRIMARY KEY,
// TIMESTAMPTZ / DATETIME).
func typeFamily(declared string) string {
	switch t := strings.ToLower(strings.TrimSpace(declared)); t {
	case "integer", "bigint", "int", "int4", "int8", "smallint":
		return "integer"
	case "text", "character varying", "varchar":
		return "text"
	case "boolean", "bool":
		return "boolean"
	case "timestamp with time zone", "timestamptz", "datetime":
		return "time"
	case "bytea", "blob":
		return "bytes"
	default:
		return t
	}
}

var (
	casts     = regexp.MustCompile(`::(timestamp with(out)? time zone|character varying|double precision|[a-z_0-9]+)(\[\])?`)
	anyArray  = regexp.MustCompile(`= any \(array\[([^\]]*)\]\)`)
	allArray  = regexp.MustCompile(`<> all \(array\[([^\]]*)\]\)`)
	trimBoth  = regexp.MustCompile(`trim\(both from `)
	spacesRun = regexp.MustCompile(`\s+`)
)

// normalizeSQL reduces an expression (a check, a default, an index predicate) to a form
// both databases' spellings share: PostgreSQL writes IN lists as = ANY (ARRAY[...]),
// adds casts and parentheses, and spells trim() as TRIM(BOTH FROM ...).
func normalizeSQL(expr string) string {
	s := strings.ToLower(expr)
	s = casts.ReplaceAllString(s, "")
	s = anyArray.ReplaceAllString(s, "in ($1)")
	s = allArray.ReplaceAllString(s, "not in ($1)")
	s = trimBoth.ReplaceAllString(s, "trim(")
	s = strings.ReplaceAll(s, "!=", "<>")
	s = strings.ReplaceAll(s, "~~", " like ")
	s = strings.NewReplacer("(", "", ")", "", `"`, "").Replace(s)
	s = strings.ReplaceAll(s, "current_timestamp", "now")
	return strings.TrimSpace(spacesRun.ReplaceAllString(s, ""))
}

func queryStrings(t *testing.T, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v.Valid {
				row[i] = v.String
			} else {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func readSQLiteSchema(t *testing.T, db *sql.DB) []string {
	var facts []string
	add := func(format string, args ...any) { facts = append(facts, fmt.Sprintf(format, args...)) }
	for _, tbl := range queryStrings(t, db, "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name") {
		table, createSQL := tbl[0], tbl[1]
		if !ownTable(table) {
			continue
		}
		add("table %s", table)
		var pk []string
		for _, c := range queryStrings(t, db, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_xinfo(?) ORDER BY cid", table) {
			name, typ, notNull, def, pkPos := c[0], c[1], c[2] == "1", c[3], c[4]
			if pkPos != "0" {
				pk = append(pk, pkPos+":"+name)
				notNull = true // PostgreSQL makes every key column NOT NULL
			}
			if def == "NULL" {
				def = ""
			}
			add("column %s.%s %s notnull=%v default=%s", table, name, typeFamily(typ), notNull, normalizeSQL(def))
		}
		slices.Sort(pk)
		for i := range pk {
			pk[i] = pk[i][strings.Index(pk[i], ":")+1:]
		}
		add("primary key %s(%s)", table, strings.Join(pk, ","))
		for _, check := range sqliteChecks(createSQL) {
			add("check %s: %s", table, normalizeSQL(check))
		}
		type foreignKey struct {
			from, to             []string
			table, update, onDel string
		}
		var fks []*foreignKey
		byID := map[string]*foreignKey{}
		for _, f := range queryStrings(t, db, "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq", table) {
			fk := byID[f[0]]
			if fk == nil {
				fk = &foreignKey{table: f[1], update: strings.ToLower(f[4]), onDel: strings.ToLower(f[5])}
				byID[f[0]] = fk
				fks = append(fks, fk)
			}
			to := f[3]
			if to == "NULL" {
				to = "id" // REFERENCES t without columns means t's primary key
			}
			fk.from, fk.to = append(fk.from, f[2]), append(fk.to, to)
		}
		for _, fk := range fks {
			add("foreign key %s(%s) -> %s(%s) on update %s on delete %s", table, strings.Join(fk.from, ","), fk.table, strings.Join(fk.to, ","), fk.update, fk.onDel)
		}
		for _, idx := range queryStrings(t, db, "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?)", table) {
			name, unique, origin := idx[0], idx[1] == "1", idx[2]
			if origin == "pk" {
				continue // the primary key, compared above
			}
			var cols []string
			for _, c := range queryStrings(t, db, "SELECT name, \"desc\" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", name) {
				col := c[0]
				if col == "NULL" {
					col = "(expression)"
				}
				if c[1] == "1" {
					col += " desc"
				}
				cols = append(cols, col)
			}
			predicate := ""
			if idx[3] == "1" {
				sqlText := queryStrings(t, db, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", name)[0][0]
				if i := strings.LastIndex(strings.ToUpper(sqlText), " WHERE "); i >= 0 {
					predicate = normalizeSQL(sqlText[i+len(" WHERE "):])
				}
			}
			if origin == "u" {
				add("unique constraint %s(%s)", table, strings.Join(cols, ","))
				continue
			}
			add("index %s on %s(%s) unique=%v where=%s", name, table, strings.Join(cols, ","), unique, predicate)
		}
	}
	triggerEvent := regexp.MustCompile(`(?i)\b(BEFORE|AFTER|INSTEAD OF)\s+(INSERT|UPDATE|DELETE)\b`)
	for _, tr := range queryStrings(t, db, "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'") {
		if !ownTable(tr[0]) {
			continue
		}
		for _, m := range triggerEvent.FindAllStringSubmatch(tr[1], -1) {
			add("trigger on %s %s %s", tr[0], strings.ToLower(m[1]), strings.ToLower(m[2]))
		}
	}
	slices.Sort(facts)
	return facts
}

// sqliteChecks returns the expressions of every CHECK (...) in a CREATE TABLE statement,
// column constraints and table constraints alike, as SQLite keeps them only as text.
func sqliteChecks(createSQL string) []string {
	var out []string
	s := createSQL
	upper := strings.ToUpper(s)
	inString := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\'':
			inString = !inString
		case !inString && strings.HasPrefix(upper[i:], "CHECK") && (i == 0 || !isIdent(s[i-1])) && i+5 < len(s) && !isIdent(s[i+5]):
			j := i + 5
			for j < len(s) && s[j] != '(' {
				j++
			}
			depth, quoted, start := 0, false, j
			for ; j < len(s); j++ {
				if s[j] == '\'' {
					quoted = !quoted
				}
				if quoted {
					continue
				}
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			out = append(out, s[start:j+1])
			i = j
		}
	}
	return out
}

func isIdent(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

func readPostgresSchema(t *testing.T, db *sql.DB) []string {
	var facts []string
	add := func(format string, args ...any) { facts = append(facts, fmt.Sprintf(format, args...)) }
	for _, tbl := range queryStrings(t, db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'") {
		table := tbl[0]
		if !ownTable(table) {
			continue
		}
		add("table %s", table)
		for _, c := range queryStrings(t, db, `SELECT column_name, data_type, is_nullable, column_default, is_identity
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`, table) {
			def := c[3]
			if def == "NULL" {
				def = ""
			}
			add("column %s.%s %s notnull=%v default=%s", table, c[0], typeFamily(c[1]), c[2] == "NO", normalizeSQL(def))
		}
		for _, con := range queryStrings(t, db, `SELECT con.contype, pg_get_constraintdef(con.oid, true),
				(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
					JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
				ref.relname,
				(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
					JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
				con.confupdtype, con.confdeltype
			FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
			LEFT JOIN pg_class ref ON ref.oid = con.confrelid
			WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace`, table) {
			switch con[0] {
			case "p":
				add("primary key %s(%s)", table, con[2])
			case "u":
				add("unique constraint %s(%s)", table, con[2])
			case "c":
				add("check %s: %s", table, normalizeSQL(strings.TrimPrefix(con[1], "CHECK ")))
			case "f":
				add("foreign key %s(%s) -> %s(%s) on update %s on delete %s", table, con[2], con[3], con[4], pgAction(con[5]), pgAction(con[6]))
			}
		}
		for _, idx := range queryStrings(t, db, `SELECT ic.relname, i.indisunique,
				(SELECT string_agg(CASE WHEN i.indkey[k.n] = 0 THEN '(expression)' ELSE a.attname END
					|| CASE WHEN i.indoption[k.n] & 1 = 1 THEN ' desc' ELSE '' END, ',' ORDER BY k.n)
				 FROM generate_series(0, i.indnkeyatts - 1) k(n)
				 LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k.n]),
				pg_get_expr(i.indpred, i.indrelid)
			FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid
			WHERE c.relname = $1 AND c.relnamespace = 'public'::regnamespace
			AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)`, table) {
			predicate := ""
			if idx[3] != "NULL" {
				predicate = normalizeSQL(idx[3])
			}
			add("index %s on %s(%s) unique=%v where=%s", idx[0], table, idx[2], idx[1] == "true", predicate)
		}
	}
	for _, tr := range queryStrings(t, db, `SELECT event_object_table, action_timing, event_manipulation
		FROM information_schema.triggers WHERE trigger_schema = 'public'`) {
		if !ownTable(tr[0]) {
			continue
		}
		add("trigger on %s %s %s", tr[0], strings.ToLower(tr[1]), strings.ToLower(tr[2]))
	}
	slices.Sort(facts)
	return facts
}

// pgAction spells a foreign key action as SQLite's pragma does.
func pgAction(code string) string {
	switch code {
	case "c":
		return "cascade"
	case "n":
		return "set null"
	case "d":
		return "set default"
	case "r":
		return "restrict"
	}
	return "no action"
}
