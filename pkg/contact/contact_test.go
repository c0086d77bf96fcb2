package contact

import "testing"

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		// Written addresses stay as they are (lower-cased).
		{"matt@gmail.com", "matt@gmail.com", true},
		{"  matt@gmail.com  ", "matt@gmail.com", true},
		{"Matt.Smith+x@Example.COM", "matt.smith+x@example.com", true},
		{"jamie.rivera+fence@example.com", "jamie.rivera+fence@example.com", true},
		{"john_doe-2@sub.example.co.uk", "john_doe-2@sub.example.co.uk", true},
		{"mailto:matt@gmail.com", "matt@gmail.com", true},
		{"<matt@gmail.com>", "matt@gmail.com", true},
		{"matt@gmail.com.", "matt@gmail.com", true},
		// Local parts that are also words ending a spoken local part.
		{"contact@acme-roofing.com", "contact@acme-roofing.com", true},
		{"me@example.org", "me@example.org", true},
		{"sales.me@example.org", "sales.me@example.org", true},
		// Spelled and spoken forms.
		{"j o h n at gmail dot com", "john@gmail.com", true},
		{"J O H N at G M A I L dot com", "john@gmail.com", true},
		{"j-o-h-n at gmail dot com", "john@gmail.com", true},
		{"john dot smith at example dot org", "john.smith@example.org", true},
		{"john underscore doe at example dot co dot uk", "john_doe@example.co.uk", true},
		{"dana dot whitfield at acme dash roofing dot com", "dana.whitfield@acme-roofing.com", true},
		{"sam at sign example dot com", "sam@example.com", true},
		{"John at Gmail.com", "john@gmail.com", true},
		{"sam plus demos at example dot com", "sam+demos@example.com", true},
		// Not one complete address.
		{"", "", false},
		{"   ", "", false},
		{"matt", "", false},
		{"matt@", "", false},
		{"@gmail.com", "", false},
		{"matt@gmail", "", false},
		{"john at gmail dot c", "", false},
		{"dana at acme", "", false},
		{"matt..smith@gmail.com", "", false},
		{"matt@gmail..com", "", false},
		{"my email is matt@gmail.com", "", false}, // the address alone, please
		{"matt@gmail.com or jo@example.com", "", false},
		{"john smith at gmail dot com", "", false}, // two words before "at": ambiguous
		{"call me at 503 555 0142", "", false},
		{"josé@example.com", "", false}, // ASCII only
	}
	for _, tt := range tests {
		got, ok := NormalizeEmail(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Jamie", "Jamie"},
		{"  jamie   rivera ", "Jamie Rivera"},
		{"JAMIE RIVERA", "Jamie Rivera"},
		{"J A M I E", "Jamie"},
		{"j a m i e rivera", "Jamie Rivera"},
		{"J. A. M. I. E.", "Jamie"},
		{"J-A-M-I-E", "Jamie"},
		{"Jamie R I V E R A", "Jamie Rivera"},
		{"J A M I E  R I V E R A", "Jamie Rivera"},
		{"J A M I E, R I V E R A", "Jamie Rivera"},
		{"Rivera, Jamie", "Rivera Jamie"},
		{"McDonald", "McDonald"},
		{"ronald McDonald", "Ronald McDonald"},
		{"DeShawn Jones", "DeShawn Jones"},
		{"o'brien", "O'Brien"},
		{"O\u2019Brien", "O'Brien"},
		{"mary-jane watson", "Mary-Jane Watson"},
		{"ludwig van beethoven", "Ludwig van Beethoven"},
		{"LUDWIG VAN BEETHOVEN", "Ludwig van Beethoven"},
		{"Vincent Van Gogh", "Vincent Van Gogh"},
		{"de la cruz", "De la Cruz"},
		{"Maria de la Cruz", "Maria de la Cruz"},
		{"John F Kennedy", "John F Kennedy"},
		{"john f. kennedy", "John F. Kennedy"},
		{"A.J. Rivera", "A.J. Rivera"},
		{"\"Jamie\",", "Jamie"},
		{"(Jamie) Rivera.", "Jamie Rivera"},
		{"Zoë", "Zoë"},
		{"ÉMILE zola", "Émile Zola"},
		{"", ""},
		{"   ", ""},
		{"123 ...", ""},
	}
	for _, tt := range tests {
		if got := NormalizeName(tt.in); got != tt.want {
			t.Errorf("NormalizeName(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
