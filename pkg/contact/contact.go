// Package contact normalizes the details a caller gives an agent — an
// email address and a name — in the forms speech-to-text and chat produce:
// written ("matt@gmail.com", "jamie rivera"), spelled letter by letter
// ("j o h n at gmail dot com", "J A M I E") or spoken with words for symbols
// ("john dot smith at example dot org"). The scripted intake agent
// (pkg/intake) and the language model's tools (pkg/tools) share it, so a
// detail stored by either reads the same.
//
// It is a leaf package: it depends only on the standard library.
package contact
