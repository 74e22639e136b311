package models

import "gorm.io/gorm"

// Every list a page shows is paged in the database, never loaded whole.

// DefaultPerPage is the page size of lists.
const DefaultPerPage = 50

// Paging asks for one page of a list; pages count from 1.
type Paging struct {
	Page    int
	PerPage int
}

// MaxListPage is the last page the admin lists (the review queue, referrals, the audit
// log, the outbox) show: their first 1,000 rows at 25 a page, as far as their searches
// count. A page is read with OFFSET, which walks every row before it, so deeper pages
// would cost more the deeper they go; a list that long is narrowed with its filters or
// downloaded as CSV.
const MaxListPage = 40

// maxPage bounds any page number, so that the offset of a page asked for in a URL
// cannot overflow: past it every list is empty.
const maxPage = 1 << 20

// normalized returns p with its page and size in range.
func (p Paging) normalized() Paging {
	if p.Page < 1 {
		p.Page = 1
	}
	p.Page = min(p.Page, maxPage)
	if p.PerPage < 1 || p.PerPage > 500 {
		p.PerPage = DefaultPerPage
	}
	return p
}

// Offset is how many rows come before the page.
func (p Paging) Offset() int {
	p = p.normalized()
	return (p.Page - 1) * p.PerPage
}

// Limit is the page size.
func (p Paging) Limit() int { return p.normalized().PerPage }

// Page is one page of a list, with the total the list would have unpaged.
type Page[T any] struct {
	Items []T
	// Total is how many rows the list has, or CountCap when Capped says there are more.
	Total  int64
	Capped bool
	// More says a next page exists (lists read one row past the page to know).
	More   bool
	Paging Paging
}

// newPage builds the page of items found for p.
func newPage[T any](items []T, total int64, p Paging) Page[T] {
	return Page[T]{Items: items, Total: total, Paging: p.normalized()}
}

// CountCap is how far a list with a search or a flag counts its rows: past it the page
// says "1,000+" rather than read every match to say how many.
const CountCap = 1_000

// cappedCount counts the rows of q up to CountCap, and says whether there are more.
func cappedCount(q *gorm.DB) (int64, bool, error) {
	var n int64
	sub := q.Session(&gorm.Session{}).Select("1").Limit(CountCap + 1)
	err := q.Session(&gorm.Session{NewDB: true}).Table("(?) AS capped", sub).Count(&n).Error
	if n > CountCap {
		return CountCap, true, err
	}
	return n, false, err
}

// findPage reads the page p of q into dest, reading one row more to learn whether a next
// page exists (so a list can page without counting).
func findPage[T any](q *gorm.DB, p Paging, dest *[]T) (more bool, err error) {
	if err := q.Offset(p.Offset()).Limit(p.Limit() + 1).Find(dest).Error; err != nil {
		return false, err
	}
	if len(*dest) > p.Limit() {
		*dest = (*dest)[:p.Limit()]
		return true, nil
	}
	return false, nil
}

// eachRow runs q and calls fn with each row as it is read: memory stays flat whatever the
// number of rows.
func eachRow[T any](q *gorm.DB, fn func(*T) error) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var row T
		if err := q.ScanRows(rows, &row); err != nil {
			return err
		}
		if err := fn(&row); err != nil {
			return err
		}
	}
	return rows.Err()
}
