package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"golang.org/x/net/html"

	"referrals/models"
	"referrals/models/modelstest"
)

// Who may use each route. Every route of the router must be here: a new route without a
// decision fails TestEveryRouteHasAnAccessDecision, and every staff route is then tried
// by each role in TestEveryStaffRouteAnswersEachRoleAsTheSpecSays.
var (
	anyone     = []models.Role{"anyone"}
	signedIn   = []models.Role{"signed in"}
	freelancer = []models.Role{models.RoleFreelancer}
	allStaff   = models.StaffRoles()
	deciders   = []models.Role{models.RoleReviewer, models.RoleOwner}
	payers     = []models.Role{models.RoleFinance, models.RoleOwner}
	owners     = []models.Role{models.RoleOwner}
)

var routeAccess = map[string][]models.Role{
	"GET /healthz":                                        anyone,
	"GET /readyz":                                         anyone,
	"GET /static/*":                                       anyone,
	"POST /api/v1/earnings":                               anyone, // signed requests, tested in api_test.go
	"POST /api/v1/freelancers":                            anyone,
	"GET /api/v1/openapi.json":                            anyone, // public: the API reference
	"GET /":                                               anyone,
	"GET /login":                                          anyone,
	"POST /login":                                         anyone,
	"POST /login/mfa":                                     anyone, // answers only a pending sign-in in the session
	"POST /login/link":                                    anyone,
	"GET /login/link/:token":                              anyone,
	"POST /login/link/:token":                             anyone,
	"POST /logout":                                        anyone,
	"GET /help":                                           anyone,
	"GET /r/:code":                                        anyone,
	"HEAD /r/:code":                                       anyone,
	"GET /signup":                                         anyone,
	"POST /signup":                                        anyone,
	"GET /unsubscribe/:token":                             anyone, // signed links, tested in unsubscribe_test.go
	"POST /unsubscribe/:token":                            anyone,
	"GET /settings":                                       signedIn,
	"POST /settings/password":                             signedIn,
	"POST /settings/email":                                signedIn,
	"GET /settings/mfa":                                   allStaff,
	"POST /settings/mfa":                                  allStaff,
	"GET /dashboard":                                      freelancer,
	"GET /dashboard/invite-qr.svg":                        freelancer,
	"GET /transactions":                                   freelancer,
	"GET /admin":                                          allStaff,
	"GET /admin/payouts":                                  allStaff,
	"GET /admin/payouts.csv":                              allStaff,
	"POST /admin/payouts/approve":                         deciders,
	"POST /admin/payouts/reject":                          deciders,
	"GET /admin/payouts/:id":                              allStaff,
	"POST /admin/payouts/:id/approve":                     deciders,
	"POST /admin/payouts/:id/reject":                      deciders,
	"GET /admin/batches":                                  allStaff,
	"GET /admin/batches/:month":                           allStaff,
	"POST /admin/batches/:month/pay":                      payers,
	"GET /admin/batches/:month/export.csv":                allStaff,
	"GET /admin/programs":                                 allStaff,
	"POST /admin/programs":                                owners,
	"GET /admin/programs/new":                             allStaff,
	"GET /admin/programs/:slug":                           allStaff,
	"POST /admin/programs/:slug":                          owners,
	"POST /admin/programs/:slug/invite":                   owners,
	"POST /admin/programs/:slug/remind":                   owners,
	"GET /admin/referrals":                                allStaff,
	"GET /admin/referrals.csv":                            allStaff,
	"GET /admin/referrals/:id":                            allStaff,
	"GET /admin/referrers/:id":                            allStaff,
	"GET /admin/audit":                                    allStaff,
	"GET /admin/audit.csv":                                allStaff,
	"GET /admin/outbox":                                   allStaff,
	"GET /admin/outbox/:id":                               allStaff,
	"GET /admin/outbox/:id/html":                          allStaff,
	"GET /admin/webhooks":                                 owners,
	"POST /admin/webhooks":                                owners,
	"GET /admin/webhooks/:id":                             owners,
	"POST /admin/webhooks/:id/disable":                    owners,
	"POST /admin/webhooks/:id/enable":                     owners,
	"POST /admin/webhooks/:id/deliveries/:delivery/retry": owners,
	"POST /admin/outbox/:id/retry":                        owners,
	"GET /admin/earnings/import":                          allStaff,
	"POST /admin/earnings/import":                         payers,
	"GET /admin/staff":                                    owners,
	"POST /admin/staff":                                   owners,
	"POST /admin/staff/:id/role":                          owners,
	"POST /admin/staff/:id/disable":                       owners,
	"POST /admin/staff/:id/enable":                        owners,
}

// routes lists the router's own routes as "METHOD /path", leaving out the catch-alls
// Echo adds for groups.
func routes(e *echo.Echo) []string {
	var out []string
	for _, r := range e.Routes() {
		if r.Method == echo.RouteNotFound {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestEveryRouteHasAnAccessDecision(t *testing.T) {
	a := newApp(t, modelstest.SQLite(t))
	have := routes(a.router)
	for _, r := range have {
		if _, ok := routeAccess[r]; !ok {
			t.Errorf("route %s has no access decision in routeAccess: say who may use it", r)
		}
	}
	for r := range routeAccess {
		if !slices.Contains(have, r) {
			t.Errorf("routeAccess lists %s, which the router does not serve", r)
		}
	}
}

var pathParam = regexp.MustCompile(`:[a-z]+`)

// TestEveryStaffRouteAnswersEachRoleAsTheSpecSays tries every staff route of the router
// as an anonymous visitor, a freelancer and each staff role: anonymous visitors are sent
// to sign in, freelancers and staff without the permission get 403, the others get past
// the access checks (whatever the handler then answers).
func TestEveryStaffRouteAnswersEachRoleAsTheSpecSays(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		f := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com"})
		browsers := map[models.Role]*browser{}
		for _, r := range append([]models.Role{models.RoleFreelancer}, allStaff...) {
			email := string(r) + "@example.com"
			a.createUser(t, models.NewUser{Email: email, Role: r})
			browsers[r] = a.browser(t)
			want := "/admin"
			if r == models.RoleFreelancer {
				want = "/dashboard"
			}
			browsers[r].signIn(email, "correct horse", want)
		}
		anonymous := a.browser(t)
		params := map[string]string{":id": fmt.Sprint(f.Payout), ":month": "2019-03", ":slug": f.Program.Slug}

		for _, route := range routes(a.router) {
			who := routeAccess[route]
			if slices.Equal(who, signedIn) {
				who = append([]models.Role{models.RoleFreelancer}, allStaff...)
			}
			if !slices.ContainsFunc(who, models.Role.IsStaff) {
				continue
			}
			method, path, _ := strings.Cut(route, " ")
			path = pathParam.ReplaceAllStringFunc(path, func(p string) string {
				if v, ok := params[p]; ok {
					return v
				}
				return "1"
			})
			try := func(b *browser) response {
				if method == http.MethodGet {
					return b.get(path)
				}
				return b.post(path, url.Values{}, true)
			}
			if res := try(anonymous); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/login") {
				t.Errorf("%s anonymous: %d to %q, want 303 to /login", route, res.status, res.location)
			}
			for r, b := range browsers {
				res := try(b)
				switch {
				case slices.Contains(who, r):
					if res.status == http.StatusForbidden || (res.status == http.StatusSeeOther && strings.HasPrefix(res.location, "/login")) {
						t.Errorf("%s as %s: %d %q, want let through", route, r, res.status, res.location)
					}
				case res.status != http.StatusForbidden:
					t.Errorf("%s as %s: %d, want 403", route, r, res.status)
				}
			}
		}
	})
}

func TestPagesShowNoButtonOrLinkTheRoleCannotUse(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		pending := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "sam@example.com"})
		approved := db.PendingPayoutFixture(t, modelstest.PendingPayout{ReferrerEmail: "maria@example.com", FriendEmail: "ana@example.com"})
		if _, err := db.Store.Approve(t.Context(), models.CLIActor(), approved.Payout); err != nil {
			t.Fatal(err)
		}
		type sees struct{ decide, pay, importLink, newProgram bool }
		for r, want := range map[models.Role]sees{
			models.RoleReviewer: {decide: true},
			models.RoleFinance:  {pay: true, importLink: true},
			models.RoleOwner:    {decide: true, pay: true, importLink: true, newProgram: true},
		} {
			email := string(r) + "@example.com"
			a.createUser(t, models.NewUser{Email: email, Role: r})
			b := a.browser(t)
			b.signIn(email, "correct horse", "/admin")
			payout := parse(t, b.get(fmt.Sprintf("/admin/payouts/%d", pending.Payout)).body)
			queue := parse(t, b.get("/admin/payouts").body)
			batch := parse(t, b.get("/admin/batches/2019-03").body)
			programs := parse(t, b.get("/admin/programs").body)
			importLink := find(queue, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/admin/earnings/import" })
			got := sees{
				decide:     byID(payout, "approve") != nil && byID(payout, "reject") != nil,
				pay:        byID(batch, "pay-batch") != nil,
				importLink: importLink != nil,
				newProgram: byID(programs, "new-program") != nil,
			}
			if got != want {
				t.Errorf("%s sees %+v, want %+v", r, got, want)
			}
			if decideButtons := byID(queue, "approve-selected") != nil; decideButtons != want.decide {
				t.Errorf("%s: bulk decision buttons shown: %v", r, decideButtons)
			}
		}
	})
}
