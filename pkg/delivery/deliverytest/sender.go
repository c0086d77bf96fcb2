package deliverytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ahca/ahca/pkg/business"
	"github.com/ahca/ahca/pkg/delivery"
	"github.com/ahca/ahca/pkg/tenant"
)

// Errors a Sender can be scripted to return; IsPermanent tells them apart
// as email.IsPermanent does for the real providers.
var (
	ErrTransient = errors.New("provider: 503 Service Unavailable")
	ErrPermanent = errors.New("provider: 550 recipient rejected")
)

// IsPermanent reports whether err is (or wraps) ErrPermanent.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// Sender is a fake email provider: it records the messages it accepts and
// returns scripted failures. Safe for concurrent use.
type Sender[M any] struct {
	// Name prefixes the provider ids it returns ("<name>-1", ...).
	Name string
	// Delay is how long each Send takes (honouring ctx).
	Delay time.Duration

	mu     sync.Mutex
	script []error
	always error
	sent   []M
	calls  int
}

// Script queues the results of the next calls: a nil entry is a success.
func (s *Sender[M]) Script(results ...error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.script = append(s.script, results...)
}

// FailAlways makes every call after the script fail with err (nil: succeed).
func (s *Sender[M]) FailAlways(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.always = err
}

// Send implements delivery.Sender.
func (s *Sender[M]) Send(ctx context.Context, m M) (string, error) {
	if s.Delay > 0 {
		t := time.NewTimer(s.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			s.mu.Lock()
			s.calls++
			s.mu.Unlock()
			return "", ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	err := s.always
	if len(s.script) > 0 {
		err, s.script = s.script[0], s.script[1:]
	}
	if err != nil {
		return "", err
	}
	s.sent = append(s.sent, m)
	return fmt.Sprintf("%s-%d", s.Name, len(s.sent)), nil
}

// Sent returns the accepted messages, in order.
func (s *Sender[M]) Sent() []M {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]M(nil), s.sent...)
}

// Calls is the number of Send calls, failed ones included.
func (s *Sender[M]) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Providers gives every business its own Sender (named after the business
// and its email.provider), created on first use, as email.Providers gives
// each business its own provider. Err makes For fail for a business.
type Providers[M any] struct {
	// Delay is given to every Sender it creates.
	Delay time.Duration

	mu      sync.Mutex
	senders map[tenant.ID]*Sender[M]
	errs    map[tenant.ID]error
	fors    int
}

// Sender returns the business's sender, creating it if needed.
func (p *Providers[M]) Sender(id tenant.ID) *Sender[M] {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sender(id, "")
}

func (p *Providers[M]) sender(id tenant.ID, provider string) *Sender[M] {
	if p.senders == nil {
		p.senders = map[tenant.ID]*Sender[M]{}
	}
	s, ok := p.senders[id]
	if !ok {
		name := string(id)
		if provider != "" {
			name = provider + ":" + name
		}
		s = &Sender[M]{Name: name, Delay: p.Delay}
		p.senders[id] = s
	} else if provider != "" {
		s.mu.Lock() // created by Sender before the provider was known
		if s.Name == string(id) {
			s.Name = provider + ":" + s.Name
		}
		s.mu.Unlock()
	}
	return s
}

// Fail makes For fail with err for the business (nil: stop failing).
func (p *Providers[M]) Fail(id tenant.ID, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.errs == nil {
		p.errs = map[tenant.ID]error{}
	}
	p.errs[id] = err
}

// For implements delivery.Senders.
func (p *Providers[M]) For(b *business.Business) (delivery.Sender[M], error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fors++
	if err := p.errs[b.ID]; err != nil {
		return nil, err
	}
	return p.sender(b.ID, b.Email.Provider), nil
}

// Total is the number of messages accepted by every sender.
func (p *Providers[M]) Total() int {
	p.mu.Lock()
	senders := make([]*Sender[M], 0, len(p.senders))
	for _, s := range p.senders {
		senders = append(senders, s)
	}
	p.mu.Unlock()
	n := 0
	for _, s := range senders {
		n += len(s.Sent())
	}
	return n
}
