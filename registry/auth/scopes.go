package auth

// Scopes of the token flow (distribution token auth spec, "Scope").

// PullScope lets a token read repo.
func PullScope(repo string) string { return "repository:" + repo + ":pull" }

// PushScope lets a token read and write repo.
func PushScope(repo string) string { return "repository:" + repo + ":pull,push" }

// DeleteScope lets a token delete from repo.
func DeleteScope(repo string) string { return "repository:" + repo + ":delete" }

// CatalogScope lets a token list the registry's repositories.
const CatalogScope = "registry:catalog:*"
