package business

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// node is one JSON value with the byte offset where it starts, so that
// validation errors can name a line and column as well as a JSON path.
// encoding/json's map decoding would lose both the offsets and duplicate
// keys (it silently keeps the last), and a duplicated phone number key in
// businesses.json is exactly the mistake an operator makes.
type node struct {
	kind    nodeKind
	off     int64
	members []member // kindObject, in file order
	items   []*node  // kindArray
	str     string   // kindString
	num     json.Number
	boolean bool
}

type member struct {
	key    string
	keyOff int64
	val    *node
}

type nodeKind int

const (
	kindNull nodeKind = iota
	kindObject
	kindArray
	kindString
	kindNumber
	kindBool
)

func (k nodeKind) String() string {
	return [...]string{"null", "object", "array", "string", "number", "boolean"}[k]
}

// syntaxError is a JSON syntax error at a byte offset.
type syntaxError struct {
	off int64
	msg string
}

func (e *syntaxError) Error() string { return e.msg }

// parseTree parses one JSON document. Duplicate keys are reported through dup.
func parseTree(src []byte, dup func(key string, off int64)) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	p := &treeParser{src: src, dec: dec, dup: dup}
	n, err := p.value()
	if err != nil {
		return nil, err
	}
	if tok, err := dec.Token(); err != io.EOF {
		off := dec.InputOffset()
		if err == nil {
			return nil, &syntaxError{off: p.skipSpace(p.prevEnd), msg: fmt.Sprintf("unexpected %v after the top-level value", tok)}
		}
		return nil, p.wrap(err, off)
	}
	return n, nil
}

type treeParser struct {
	src     []byte
	dec     *json.Decoder
	dup     func(string, int64)
	prevEnd int64
}

// skipSpace returns the offset of the first byte at or after off that is not
// whitespace or a separator: the start of the next token.
func (p *treeParser) skipSpace(off int64) int64 {
	for off < int64(len(p.src)) {
		switch p.src[off] {
		case ' ', '\t', '\r', '\n', ':', ',':
			off++
		default:
			return off
		}
	}
	return off
}

func (p *treeParser) token() (json.Token, int64, error) {
	start := p.skipSpace(p.dec.InputOffset())
	tok, err := p.dec.Token()
	if err != nil {
		return nil, start, p.wrap(err, start)
	}
	p.prevEnd = p.dec.InputOffset()
	return tok, start, nil
}

func (p *treeParser) wrap(err error, off int64) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &syntaxError{off: se.Offset, msg: se.Error()}
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return &syntaxError{off: int64(len(p.src)), msg: "unexpected end of JSON input"}
	}
	return &syntaxError{off: off, msg: err.Error()}
}

func (p *treeParser) value() (*node, error) {
	tok, off, err := p.token()
	if err != nil {
		return nil, err
	}
	return p.valueFrom(tok, off)
}

func (p *treeParser) valueFrom(tok json.Token, off int64) (*node, error) {
	n := &node{off: off}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = kindObject
			seen := map[string]bool{}
			for p.dec.More() {
				ktok, koff, err := p.token()
				if err != nil {
					return nil, err
				}
				key, ok := ktok.(string)
				if !ok {
					return nil, &syntaxError{off: koff, msg: "object key is not a string"}
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				if seen[key] && p.dup != nil {
					p.dup(key, koff)
				}
				seen[key] = true
				n.members = append(n.members, member{key: key, keyOff: koff, val: v})
			}
			if _, _, err := p.token(); err != nil { // '}'
				return nil, err
			}
		case '[':
			n.kind = kindArray
			for p.dec.More() {
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
			if _, _, err := p.token(); err != nil { // ']'
				return nil, err
			}
		default:
			return nil, &syntaxError{off: off, msg: fmt.Sprintf("unexpected %q", rune(t))}
		}
	case string:
		n.kind, n.str = kindString, t
	case json.Number:
		n.kind, n.num = kindNumber, t
	case bool:
		n.kind, n.boolean = kindBool, t
	case nil:
		n.kind = kindNull
	}
	return n, nil
}

// lineCol converts a byte offset into 1-based line and column numbers.
func lineCol(src []byte, off int64) (line, col int) {
	if off > int64(len(src)) {
		off = int64(len(src))
	}
	line = 1 + bytes.Count(src[:off], []byte("\n"))
	col = int(off) - bytes.LastIndexByte(src[:off], '\n')
	return line, col
}

// describe renders a value briefly for error messages.
func (n *node) describe() string {
	switch n.kind {
	case kindString:
		s := n.str
		if len(s) > 40 {
			s = s[:37] + "..."
		}
		return "string " + strconv.Quote(s)
	case kindNumber:
		return "number " + n.num.String()
	case kindBool:
		return "boolean " + strconv.FormatBool(n.boolean)
	default:
		return n.kind.String()
	}
}

// raw re-encodes the node as JSON (used to keep fields we do not interpret).
func (n *node) raw() json.RawMessage {
	b, _ := json.Marshal(n.toAny())
	return b
}

func (n *node) toAny() any {
	switch n.kind {
	case kindObject:
		m := make(map[string]any, len(n.members))
		for _, mem := range n.members {
			m[mem.key] = mem.val.toAny()
		}
		return m
	case kindArray:
		a := make([]any, len(n.items))
		for i, it := range n.items {
			a[i] = it.toAny()
		}
		return a
	case kindString:
		return n.str
	case kindNumber:
		return n.num
	case kindBool:
		return n.boolean
	}
	return nil
}
