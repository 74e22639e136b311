// Package docs holds the product's own documentation: the rules, the decisions, the
// machine API and its OpenAPI 3.1 description (embedded here and served at
// /api/v1/openapi.json), the earnings CSV and the outgoing webhooks.
package docs

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the machine API and the outgoing webhooks.
//
//go:embed openapi.json
var OpenAPI []byte
