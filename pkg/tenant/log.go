package tenant

import (
	"context"
	"io"
	"log/slog"
)

// Log attribute keys added from the context.
const (
	LogKeyBusiness   = "businessId"
	LogKeyConnection = "connectionId"
	LogKeyCallSID    = "callSid"
)

// LogHandler wraps a slog.Handler and adds businessId, connectionId and
// callSid from the record's context to every record that has them. Code
// therefore logs with slog.InfoContext(ctx, ...) and never repeats the ids.
type LogHandler struct {
	next slog.Handler
}

// NewLogHandler wraps next.
func NewLogHandler(next slog.Handler) *LogHandler { return &LogHandler{next: next} }

// NewJSONLogger returns the logger every AHCA binary uses: JSON records on w
// at the given level, with tenant attributes from the context.
func NewJSONLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})))
}

// Enabled reports whether the wrapped handler handles records at level.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle adds the context's tenant attributes and passes the record on.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id, ok := FromContext(ctx); ok {
		r.AddAttrs(slog.String(LogKeyBusiness, id.String()))
	}
	if c, ok := ConnectionFromContext(ctx); ok {
		r.AddAttrs(slog.String(LogKeyConnection, c))
	}
	if c, ok := CallSIDFromContext(ctx); ok {
		r.AddAttrs(slog.String(LogKeyCallSID, c))
	}
	return h.next.Handle(ctx, r)
}

// WithAttrs returns a handler whose records carry attrs.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(attrs)}
}

// WithGroup returns a handler that nests later attributes under name. The
// tenant attributes are added inside the group too; that keeps this handler
// trivial, and our code does not use groups around tenant-scoped logging.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}
