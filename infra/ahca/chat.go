package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/coder/websocket"
)

func chatSetup(fs *flag.FlagSet) action {
	biz := fs.String("business", "", "`ID` of the business to talk to")
	wsURL := fs.String("url", "ws://"+devAddr()+"/ws", "WebSocket `URL` of the stack (ahca dev, or an API Gateway stage)")
	return func(ctx context.Context, inv *invocation) int {
		return chatCommand(ctx, inv, *biz, *wsURL)
	}
}

// chatCommand is a terminal client for the conversation protocol: it opens
// a web session with a business and relays lines of stdin as prompts.
func chatCommand(ctx context.Context, inv *invocation, biz, wsURL string) int {
	stdin, stdout, stderr := inv.stdin, inv.stdout, inv.stderr
	u, err := url.Parse(wsURL)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return inv.usageError("--url %q: want ws:// or wss://", wsURL)
	}
	q := u.Query()
	q.Set("businessId", biz)
	u.RawQuery = q.Encode()

	c, resp, err := websocket.Dial(ctx, u.String(), nil)
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			fmt.Fprintf(stderr, "ahca chat: refused (%d): %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
			return exitInvalid
		}
		if isRefused(err) {
			return inv.failf(exitFailed, "%s", notListening(wsURL))
		}
		fmt.Fprintf(stderr, "ahca chat: %v\n", err)
		return exitFailed
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"type":"setup"}`)); err != nil {
		fmt.Fprintf(stderr, "ahca chat: %v\n", err)
		return exitFailed
	}

	// Turn-taking: a line is sent once the agent's reply has finished, as a
	// person would; API Gateway runs frames in parallel, so a client that
	// fires lines at once gets its turns processed in any order.
	replied := make(chan struct{}, 16)
	done := make(chan int, 1)
	var closing atomic.Bool // we close the connection: the reader's error is expected
	go func() { done <- readFrames(ctx, c, stdout, stderr, replied, &closing) }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdin)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for {
		select {
		case code := <-done:
			return code
		case <-replied:
		}
		var line string
		var more bool
		select {
		case code := <-done:
			return code
		case <-ctx.Done():
			c.Close(websocket.StatusNormalClosure, "interrupted")
			return exitOK
		case line, more = <-lines:
			if !more {
				closing.Store(true)
				c.Close(websocket.StatusNormalClosure, "bye")
				return <-done
			}
			if strings.TrimSpace(line) == "" {
				replied <- struct{}{} // nothing sent: do not wait for a reply
				continue
			}
			frame, _ := json.Marshal(map[string]any{"type": "prompt", "voicePrompt": line, "lang": "en-US", "last": true})
			if err := c.Write(ctx, websocket.MessageText, frame); err != nil {
				fmt.Fprintf(stderr, "ahca chat: %v\n", err)
				return exitFailed
			}
		}
	}
}

// readFrames prints what the agent sends until the connection closes.
func readFrames(ctx context.Context, c *websocket.Conn, stdout, stderr io.Writer, replied chan<- struct{}, closing *atomic.Bool) int {
	midReply := false
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			if midReply {
				fmt.Fprintln(stdout)
			}
			if s := websocket.CloseStatus(err); s == websocket.StatusNormalClosure || s == websocket.StatusGoingAway || errors.Is(err, context.Canceled) || closing.Load() {
				return exitOK
			}
			fmt.Fprintf(stderr, "ahca chat: connection closed: %v\n", err)
			return exitFailed
		}
		var f struct {
			Type         string            `json:"type"`
			Token        string            `json:"token"`
			Last         bool              `json:"last"`
			BusinessName string            `json:"businessName"`
			AgentName    string            `json:"agentName"`
			UserInfo     map[string]string `json:"userInfo"`
			Code         string            `json:"code"`
			Message      string            `json:"message"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			fmt.Fprintf(stderr, "ahca chat: unreadable frame: %s\n", data)
			continue
		}
		switch f.Type {
		case "session_ready":
			fmt.Fprintf(stdout, "— connected to %s (agent %s). Type and press Enter; Ctrl-D ends.\n", f.BusinessName, f.AgentName)
		case "text":
			if !midReply {
				fmt.Fprint(stdout, "agent: ")
				midReply = true
			}
			fmt.Fprint(stdout, f.Token)
			if f.Last {
				fmt.Fprintln(stdout)
				midReply = false
				replied <- struct{}{}
			}
		case "user_info_updated":
			var parts []string
			for _, k := range []string{"name", "phone", "email", "reason"} {
				if v := f.UserInfo[k]; v != "" {
					parts = append(parts, k+"="+v)
				}
			}
			fmt.Fprintf(stdout, "  [collected: %s]\n", strings.Join(parts, ", "))
		case "error":
			fmt.Fprintf(stdout, "  [error %s: %s]\n", f.Code, f.Message)
			replied <- struct{}{}
		case "end":
			fmt.Fprintln(stdout, "— conversation ended")
		}
	}
}
