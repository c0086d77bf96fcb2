package secret

import (
	"context"
	"fmt"
)

// SetOnWait installs a hook called whenever a Resolve call starts waiting for
// another call's in-flight fetch, so tests can tell deterministically that
// callers have piled up behind one fetch.
func SetOnWait(r *Resolver, f func(Ref)) { r.onWait = f }

// Endpoint is where a client of NewSSM or NewSecretsManager sends its calls.
func Endpoint(ctx context.Context, client any) (string, error) {
	switch c := client.(type) {
	case ssmClient:
		return c.c.endpoint(ctx)
	case smClient:
		return c.c.endpoint(ctx)
	}
	return "", fmt.Errorf("not a client of this package: %T", client)
}
