// Package static holds the stylesheet, script and icons, embedded in the binary and
// served with long-lived caching: every URL carries a hash of the file's content, so a
// new release changes the URL and no browser keeps a stale copy.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed app.css app.js favicon.svg
var files embed.FS

// Assets serves the embedded files and names their versioned URLs.
type Assets struct {
	versions map[string]string
}

// New hashes the embedded files once.
func New() *Assets {
	a := &Assets{versions: map[string]string{}}
	entries, _ := fs.ReadDir(files, ".")
	for _, e := range entries {
		b, _ := files.ReadFile(e.Name())
		sum := sha256.Sum256(b)
		a.versions[e.Name()] = hex.EncodeToString(sum[:6])
	}
	return a
}

// URL is the cache-busting address of the named file.
func (a *Assets) URL(name string) string {
	return "/static/" + name + "?v=" + a.versions[name]
}

// Handler serves /static/NAME. A request for the current version is cacheable for a year;
// any other is revalidated, so a stale page never pins an old file.
func (a *Assets) Handler() http.Handler {
	fileServer := http.StripPrefix("/static/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A file is only ever what its name says (no sniffing a script out of a stylesheet).
		w.Header().Set("X-Content-Type-Options", "nosniff")
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		if v, ok := a.versions[name]; ok && r.URL.Query().Get("v") == v {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		fileServer.ServeHTTP(w, r)
	})
}
