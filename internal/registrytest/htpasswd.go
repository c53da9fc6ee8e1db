package registrytest

import (
	"fmt"
	"os"

	"golang.org/x/crypto/bcrypt"
)

// writeHtpasswd writes an htpasswd file with one user. Distribution only
// accepts bcrypt entries.
func writeHtpasswd(path, username, password string) error {
	// MinCost: the registry checks the hash on every request, and tests make many.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		return fmt.Errorf("hash htpasswd password: %w", err)
	}
	return os.WriteFile(path, []byte(username+":"+string(hash)+"\n"), 0o600)
}
