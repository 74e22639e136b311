package handlers_test

import (
	"net/http"
	"sync"
	"testing"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

func TestConcurrentRequestsBeyondTheInFlightLimitWaitTheirTurn(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db, func(o *handlers.Options) { o.MaxInFlight = 1 })
		a.createUser(t, models.NewUser{Email: "ben@example.com", Country: "CA"})
		b := a.browser(t)
		b.signIn("ben@example.com", "correct horse", "/dashboard")

		// Thirty pages at once through one place: each is served in turn, none refused.
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				res := b.get("/dashboard")
				mu.Lock()
				statuses[res.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if statuses[http.StatusOK] != 30 {
			t.Errorf("statuses %v, want 30 x 200", statuses)
		}
	})
}
