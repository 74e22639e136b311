package handlers_test

import (
	"net/http"
	"testing"
	"time"

	"referrals/models/modelstest"
)

func TestPreviewsPrefetchesAndHEADAreNotClicks(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		a := newApp(t, db)
		_, _, code := a.invitedReferrer(t)
		visit := func(method string, header map[string]string) int {
			req, _ := http.NewRequest(method, a.server.URL+"/r/"+code, nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148 Safari/604.1")
			for k, v := range header {
				req.Header.Set(k, v)
			}
			return a.browser(t).do(req).status
		}
		for _, ua := range []string{
			"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
			"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
			"Twitterbot/1.0", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
			"WhatsApp/2.23.20.0", "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
			"TelegramBot (like TwitterBot)", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		} {
			if status := visit(http.MethodGet, map[string]string{"User-Agent": ua}); status != http.StatusOK {
				t.Errorf("%s: %d", ua, status)
			}
		}
		visit(http.MethodGet, map[string]string{"Purpose": "prefetch"})
		visit(http.MethodGet, map[string]string{"Sec-Purpose": "prefetch;prerender"})
		if status := visit(http.MethodHead, nil); status != http.StatusOK {
			t.Errorf("HEAD: %d", status)
		}
		if n := db.Count(t, "invitations", "clicks > 0"); n != 0 {
			t.Fatal("a preview, prefetch or HEAD request was counted")
		}
		if n := db.Count(t, "invitation_clicks", ""); n != 0 {
			t.Fatal("a preview, prefetch or HEAD request was counted on a day")
		}

		// People are counted on the program's calendar day (Los Angeles): two clicks at
		// 23:00 and one at 01:00 the next morning.
		db.Clock.Set(time.Date(2019, 3, 2, 7, 0, 0, 0, time.UTC)) // Mar 1, 23:00 PST
		visit(http.MethodGet, nil)
		visit(http.MethodGet, nil)
		db.Clock.Advance(2 * time.Hour)
		visit(http.MethodGet, nil)
		if db.Count(t, "invitations", "clicks = 3") != 1 ||
			db.Count(t, "invitation_clicks", "day = '2019-03-01' AND clicks = 2") != 1 ||
			db.Count(t, "invitation_clicks", "day = '2019-03-02' AND clicks = 1") != 1 {
			t.Fatal("clicks were not counted per day in the program's time zone")
		}
	})
}
