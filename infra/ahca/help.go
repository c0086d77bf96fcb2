package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// command is one `ahca` command. Its usage line, its help and the checks of
// its command line all come from these fields and the flags setup defines,
// so the overview and the command's own help cannot disagree.
type command struct {
	name     string   // "transcripts show"
	args     string   // positional arguments as shown: "SESSION"; "QUERY..." is one or more
	required []string // flags that must be given, shown in the usage line
	summary  string   // one line, for the overview
	about    string   // more help, after the flags (optional)
	// setup defines the command's flags on fs and returns what runs once
	// they are parsed.
	setup func(fs *flag.FlagSet) action
}

// action runs a command whose flags are parsed.
type action func(ctx context.Context, inv *invocation) int

// invocation is one run of a command.
type invocation struct {
	cmd    *command
	fs     *flag.FlagSet
	args   []string // positional arguments
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError reports a wrong command line and the command's usage.
func (inv *invocation) usageError(format string, a ...any) int {
	fmt.Fprintf(inv.stderr, "ahca %s: %s\n", inv.cmd.name, fmt.Sprintf(format, a...))
	inv.cmd.writeUsage(inv.stderr, inv.fs)
	return exitUsage
}

// failf reports a failure in one line and returns code.
func (inv *invocation) failf(code int, format string, a ...any) int {
	fmt.Fprintf(inv.stderr, "ahca %s: %s\n", inv.cmd.name, fmt.Sprintf(format, a...))
	return code
}

// given reports whether the flag was set on the command line.
func (inv *invocation) given(name string) bool {
	found := false
	inv.fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func (c *command) words() []string { return strings.Fields(c.name) }

// group is the first word of a two-word command ("configs"), else "".
func (c *command) group() string {
	if w := c.words(); len(w) > 1 {
		return w[0]
	}
	return ""
}

// newFlags returns a fresh flag set with the command's flags, and the
// action that reads them.
func (c *command) newFlags() (*flag.FlagSet, action) {
	fs := flag.NewFlagSet("ahca "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by run
	fs.Usage = func() {}
	return fs, c.setup(fs)
}

// flags returns a fresh flag set with the command's flags.
func (c *command) flags() *flag.FlagSet {
	fs, _ := c.newFlags()
	return fs
}

// run parses the command line, checks it and runs the command.
func (c *command) run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs, act := c.newFlags()
	inv := &invocation{cmd: c, fs: fs, stdin: stdin, stdout: stdout, stderr: stderr}
	pos, err := parseFlags(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		c.writeUsage(stdout, fs)
		return exitOK
	}
	if err != nil {
		return inv.usageError("%v", err)
	}
	for _, name := range c.required {
		if !inv.given(name) || fs.Lookup(name).Value.String() == "" {
			return inv.usageError("--%s is required", name)
		}
	}
	switch lo, hi := c.arity(); {
	case len(pos) < lo:
		return inv.usageError("missing %s", strings.TrimSuffix(strings.Fields(c.args)[len(pos)], "..."))
	case len(pos) > hi:
		return inv.usageError("unexpected argument %q", pos[hi])
	}
	inv.args = pos
	return act(ctx, inv)
}

// arity is how many positional arguments the command takes.
func (c *command) arity() (lo, hi int) {
	for _, a := range strings.Fields(c.args) {
		lo++
		if strings.HasSuffix(a, "...") {
			return lo, math.MaxInt
		}
	}
	return lo, lo
}

// parseFlags parses flags that may come before or after positional args
// ("show acme --dir x" as well as "show --dir x acme").
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// line is the command's usage line: name, arguments, required flags, and
// [flags] when it has others.
func (c *command) line(fs *flag.FlagSet) string {
	parts := []string{c.name}
	if c.args != "" {
		parts = append(parts, c.args)
	}
	for _, name := range c.required {
		parts = append(parts, flagSpec(fs.Lookup(name)))
	}
	optional := false
	fs.VisitAll(func(f *flag.Flag) { optional = optional || !slices.Contains(c.required, f.Name) })
	if optional {
		parts = append(parts, "[flags]")
	}
	return strings.Join(parts, " ")
}

// writeUsage is the command's help: usage line, summary, flags, about.
func (c *command) writeUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: ahca %s\n\n%s\n", c.line(fs), c.summary)
	if hasFlags(fs) {
		fmt.Fprint(w, "\nflags:\n")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fs.VisitAll(func(f *flag.Flag) {
			_, text := flag.UnquoteUsage(f)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				text += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(tw, "  %s\t%s\n", flagSpec(f), text)
		})
		tw.Flush()
	}
	if c.about != "" {
		fmt.Fprintf(w, "\n%s", c.about)
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// flagSpec is how a flag is written: "--business ID", "--json", "-v".
func flagSpec(f *flag.Flag) string {
	dashes := "--"
	if len(f.Name) == 1 {
		dashes = "-"
	}
	name, _ := flag.UnquoteUsage(f)
	switch name {
	case "":
		return dashes + f.Name
	case "string":
		name = "VALUE"
	case "int":
		name = "N"
	}
	return dashes + f.Name + " " + strings.ToUpper(name)
}

// writeOverview is the global usage: every command's usage line and summary.
func writeOverview(w io.Writer) {
	fmt.Fprint(w, "usage: ahca <command> [arguments]\n\ncommands:\n")
	writeCommands(w, commands)
	fmt.Fprint(w, "\n\"ahca help <command>\" or \"ahca <command> --help\" shows a command's flags.\n"+
		"Exit status: 0 done, 1 invalid input, 2 wrong command line, 3 failed (I/O, AWS, nothing listening).\n")
}

// writeGroupUsage lists the commands of a group ("configs").
func writeGroupUsage(w io.Writer, group string) {
	var cmds []*command
	for _, c := range commands {
		if c.group() == group {
			cmds = append(cmds, c)
		}
	}
	fmt.Fprintf(w, "usage: ahca %s <command> [arguments]\n\ncommands:\n", group)
	writeCommands(w, cmds)
	fmt.Fprintf(w, "\n\"ahca help %s <command>\" shows a command's flags.\n", group)
}

func writeCommands(w io.Writer, cmds []*command) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range cmds {
		fmt.Fprintf(tw, "  %s\t%s\n", c.line(c.flags()), c.summary)
	}
	tw.Flush()
}

// lookup finds the command args start with ("configs validate ..."), or
// else the group its first word names.
func lookup(args []string) (cmd *command, group string) {
	for _, c := range commands {
		w := c.words()
		if len(args) >= len(w) && slices.Equal(args[:len(w)], w) {
			return c, c.group()
		}
		if c.group() == args[0] {
			group = args[0]
		}
	}
	return nil, group
}

func isHelpFlag(s string) bool {
	return s == "-h" || s == "--help" || s == "-help" || s == "--h"
}
