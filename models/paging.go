package models

// Every list a page shows is paged in the database, never loaded whole.

// DefaultPerPage is the page size of lists.
const DefaultPerPage = 50

// Paging asks for one page of a list; pages count from 1.
type Paging struct {
	Page    int
	PerPage int
}

// normalized returns p with its page and size in range.
func (p Paging) normalized() Paging {
	if p.Page < 1 {
		p.Page = 1
	}
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
	Items  []T
	Total  int64
	Paging Paging
}

// newPage builds the page of items found for p.
func newPage[T any](items []T, total int64, p Paging) Page[T] {
	return Page[T]{Items: items, Total: total, Paging: p.normalized()}
}
