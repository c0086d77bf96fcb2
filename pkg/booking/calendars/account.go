package calendars

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/secret"
)

// account is what every provider holds: the business, its calendar's
// configuration C, the options and the access token.
type account[C any] struct {
	who    string // "google", "microsoft"
	biz    *business.Business
	cfg    *C
	o      Options
	tokens tokenCache
}

func newAccount[C any](who string, b *business.Business, cfg *C, opts Options) account[C] {
	return account[C]{who: who, biz: b, cfg: cfg, o: opts.withDefaults()}
}

func (a *account[C]) name() string { return a.who }

// key identifies the calendar of ids (as configured, references
// unresolved) for the in-process booking lock.
func (a *account[C]) key(ids ...secret.Value) string {
	k := a.who + "|" + string(a.biz.ID)
	for _, id := range ids {
		k += "|" + string(id)
	}
	return k
}

// cachedToken returns the cached access token issued for creds, else
// fetches one; the cache keys the token by a digest of creds, so rotated
// credentials get a new token.
func (a *account[C]) cachedToken(creds []string, fetch func() (string, time.Duration, error)) (string, error) {
	sum := sha256.Sum256([]byte(strings.Join(creds, "\x00")))
	return a.tokens.get(a.o.Now(), hex.EncodeToString(sum[:]), fetch)
}

// send sends one request to u with the access token tok, its body in as
// JSON (none when in is nil) and the extra header, and decodes the answer
// into out; a token the API rejects is dropped. what names the call in
// errors ("freeBusy").
func (a *account[C]) send(ctx context.Context, tok, what, method, u string, in, out any, header map[string]string) error {
	what = a.who + " " + what
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("calendars: %s: %w", what, err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("calendars: %s: %w", what, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	err = do(a.o.HTTPClient, req, what, out)
	if errors.Is(err, ErrUnauthorized) {
		a.tokens.drop(tok)
	}
	return err
}

// credField is one credential to resolve into dst.
type credField struct {
	name     string
	dst      *string
	v        secret.Value
	required bool
}

// resolve resolves the credentials into their fields, naming the first
// that fails.
func (a *account[C]) resolve(ctx context.Context, fields []credField) error {
	for _, f := range fields {
		s, err := resolveField(ctx, a.o.Resolve, a.who, f.name, f.v, f.required)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	return nil
}
