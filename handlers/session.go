package handlers

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"referrals/models"
	"referrals/views"
)

// Sessions live in an encrypted, signed cookie. A cookie cannot be revoked, so each one
// carries the user's session version, checked on every request: bumping the version in
// the database (at sign-out) ends every session of that user at once.
const (
	// sessionMaxAge is the absolute lifetime of a sign-in.
	sessionMaxAge = 7 * 24 * time.Hour
	// sessionIdleTimeout signs out a session unused for this long.
	sessionIdleTimeout = 12 * time.Hour
	// sessionTouchEvery bounds how often the last-seen time is rewritten.
	sessionTouchEvery = 5 * time.Minute
)

// Session cookie values.
const (
	keyUserID   = "uid"
	keyVersion  = "ver"
	keyIssuedAt = "iat"
	keySeenAt   = "seen"
	keyFlash    = "flash"
	keyFlashAs  = "flash_kind"
	// keyCSRF is the session's CSRF token (see csrf).
	keyCSRF = "csrf"
)

// Where the signed-in user and the CSRF token are kept on the request.
const (
	ctxUser = "user"
	ctxCSRF = "csrf"
)

// cookieName is the name of one of our cookies. Under an https BASE_URL it carries the
// __Host- prefix, which browsers accept only from this very host, over https, for the
// whole site (Secure, Path=/, no Domain): another site on a subdomain or a network
// attacker on plain http cannot set or overwrite it.
func cookieName(name string, secure bool) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

// newSessionStore derives separate signing and encryption keys from the secret.
func newSessionStore(secret []byte, secure bool) (*sessions.CookieStore, error) {
	hashKey, err := hkdf.Key(sha256.New, secret, nil, "referrals session signing", 64)
	if err != nil {
		return nil, err
	}
	blockKey, err := hkdf.Key(sha256.New, secret, nil, "referrals session encryption", 32)
	if err != nil {
		return nil, err
	}
	store := sessions.NewCookieStore(hashKey, blockKey)
	for _, codec := range store.Codecs {
		// Not gob: see sessionSerializer.
		codec.(*securecookie.SecureCookie).SetSerializer(sessionSerializer{})
	}
	// MaxAge sets the cookie's lifetime and the codec's, which otherwise stays 30 days.
	store.MaxAge(int(sessionMaxAge.Seconds()))
	store.Options.Path = "/"
	store.Options.HttpOnly = true
	store.Options.SameSite = http.SameSiteLaxMode
	store.Options.Secure = secure
	return store, nil
}

// session returns the request's session; a missing, tampered or expired cookie gives a
// new, empty one.
func (h *Handler) session(c echo.Context) *sessions.Session {
	// On a decoding error the store still returns a new, empty session (and caches it
	// for the rest of the request), which is what we want.
	sess, _ := h.sessions.Get(c.Request(), h.sessionCookie)
	return sess
}

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *models.User {
	u, _ := c.Get(ctxUser).(*models.User)
	return u
}

// loadSession puts the signed-in user on the request when the session cookie is valid,
// recent, and of the user's current session version; otherwise it forgets the session.
func (h *Handler) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return h.loadSessionWith(h.readSessionUser)(next)
}

// sessionRead reads the user of a session for loadSessionWith: their current session
// version decides whether the session is still valid. A page may read its own data in
// the same statement (see readDashboardSession); models.ErrNotFound means no such user.
type sessionRead func(c echo.Context, userID, version int64) (models.User, error)

// readSessionUser is the plain session check: the user alone.
func (h *Handler) readSessionUser(c echo.Context, userID, _ int64) (models.User, error) {
	return h.store.UserByID(c.Request().Context(), userID)
}

// loadSessionWith is loadSession reading the session's user with read.
func (h *Handler) loadSessionWith(read sessionRead) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return h.sessionLoader(read, next)
	}
}

func (h *Handler) sessionLoader(read sessionRead, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess := h.session(c)
		uid, _ := sess.Values[keyUserID].(int64)
		if uid == 0 {
			return next(c)
		}
		version, _ := sess.Values[keyVersion].(int64)
		issued, _ := sess.Values[keyIssuedAt].(int64)
		seen, _ := sess.Values[keySeenAt].(int64)
		now := h.store.Now()
		expired := now.Sub(time.Unix(issued, 0)) > sessionMaxAge || now.Sub(time.Unix(seen, 0)) > sessionIdleTimeout

		var user models.User
		if !expired {
			var err error
			user, err = read(c, uid, version)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return err
			}
		}
		if expired || user.ID == 0 || user.SessionVersion != version {
			forget(sess)
			if expired {
				setFlash(sess, views.FlashInfo, "Your session ended. Please sign in again.")
			}
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return err
			}
			return next(c)
		}
		c.Set(ctxUser, &user)
		// same_ip (R12) covers every address a user is seen at while signed in; the Store
		// writes each one once a day.
		if err := h.store.RecordSeen(c.Request().Context(), user.ID, c.RealIP()); err != nil {
			return err
		}
		if now.Sub(time.Unix(seen, 0)) > sessionTouchEvery {
			sess.Values[keySeenAt] = now.Unix()
			if err := sess.Save(c.Request(), c.Response()); err != nil {
				return err
			}
		}
		return next(c)
	}
}

// startSession signs user in with a fresh session: nothing of the previous one survives,
// not even the CSRF token (the page this request renders gets the new one).
func (h *Handler) startSession(c echo.Context, user models.User) error {
	sess := h.freshSession(c)
	now := h.store.Now().Unix()
	sess.Values[keyUserID] = user.ID
	sess.Values[keyVersion] = user.SessionVersion
	sess.Values[keyIssuedAt] = now
	sess.Values[keySeenAt] = now
	return sess.Save(c.Request(), c.Response())
}

// freshSession empties the request's session and gives it a new CSRF token (not yet
// saved), at a change of who the session is for.
func (h *Handler) freshSession(c echo.Context) *sessions.Session {
	sess := h.session(c)
	clear(sess.Values)
	c.Set(ctxCSRF, newCSRFToken(sess))
	return sess
}

// forget empties a session that no longer signs anyone in, keeping its CSRF token, which
// the page being served already carries.
func forget(sess *sessions.Session) {
	token := sess.Values[keyCSRF]
	clear(sess.Values)
	if token != nil {
		sess.Values[keyCSRF] = token
	}
}

// endSession forgets the session in this browser, leaving only a flash message.
func (h *Handler) endSession(c echo.Context, flash string) error {
	sess := h.session(c)
	forget(sess)
	setFlash(sess, views.FlashInfo, flash)
	return sess.Save(c.Request(), c.Response())
}

func setFlash(sess *sessions.Session, kind views.FlashKind, msg string) {
	sess.Values[keyFlash] = msg
	sess.Values[keyFlashAs] = string(kind)
}

// flash sets a message for the next page the user sees.
func (h *Handler) flash(c echo.Context, kind views.FlashKind, msg string) error {
	sess := h.session(c)
	setFlash(sess, kind, msg)
	return sess.Save(c.Request(), c.Response())
}

// takeFlash removes and returns the pending flash message, if any.
func (h *Handler) takeFlash(c echo.Context) (*views.Flash, error) {
	sess := h.session(c)
	msg, _ := sess.Values[keyFlash].(string)
	if msg == "" {
		return nil, nil
	}
	kind, _ := sess.Values[keyFlashAs].(string)
	delete(sess.Values, keyFlash)
	delete(sess.Values, keyFlashAs)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return nil, err
	}
	return &views.Flash{Kind: views.FlashKind(kind), Message: msg}, nil
}
