package registrytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// resourceActions is one entry of a token's access claim, as distribution
// reads it.
type resourceActions struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Actions []string `json:"actions"`
}

// claimSet is the payload of a registry token.
type claimSet struct {
	Issuer     string             `json:"iss"`
	Subject    string             `json:"sub"`
	Audience   string             `json:"aud"`
	Expiration int64              `json:"exp"`
	NotBefore  int64              `json:"nbf"`
	IssuedAt   int64              `json:"iat"`
	JWTID      string             `json:"jti"`
	Access     []*resourceActions `json:"access"`
}

// signingKey signs ES256 JWTs; the registry finds its public half in a JWKS
// file by the kid header.
type signingKey struct {
	priv *ecdsa.PrivateKey
	kid  string
}

func newSigningKey() (*signingKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate token signing key: %w", err)
	}
	point, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode token signing key: %w", err)
	}
	sum := sha256.Sum256(point)
	return &signingKey{priv: priv, kid: b64(sum[:16])}, nil
}

// jwks is the JSON Web Key Set holding the public key.
func (k *signingKey) jwks() ([]byte, error) {
	point, err := k.priv.PublicKey.Bytes() // 0x04 || X || Y, each 32 bytes
	if err != nil {
		return nil, err
	}
	key := map[string]string{
		"kty": "EC",
		"crv": "P-256",
		"alg": "ES256",
		"use": "sig",
		"kid": k.kid,
		"x":   b64(point[1:33]),
		"y":   b64(point[33:65]),
	}
	return json.Marshal(map[string]any{"keys": []any{key}})
}

// sign returns the compact JWS of claims.
func (k *signingKey) sign(claims claimSet) (string, error) {
	header, err := json.Marshal(map[string]string{"typ": "JWT", "alg": "ES256", "kid": k.kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signingInput := b64(header) + "." + b64(payload)
	digest := sha256.Sum256([]byte(signingInput))
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, digest[:])
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	// JWS wants R || S, each left-padded to the curve size, not ASN.1.
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signingInput + "." + b64(sig), nil
}

// newClaims fills the registered claims of a token valid for ttl from now.
func newClaims(issuer, subject, audience string, ttl time.Duration, access []*resourceActions) claimSet {
	now := time.Now()
	return claimSet{
		Issuer:     issuer,
		Subject:    subject,
		Audience:   audience,
		Expiration: now.Add(ttl).Unix(),
		NotBefore:  now.Unix(),
		IssuedAt:   now.Unix(),
		JWTID:      rand.Text(),
		Access:     access,
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
