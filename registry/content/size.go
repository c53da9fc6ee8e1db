package content

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var sizeUnits = map[string]float64{
	"":   1,
	"b":  1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
}

// MaxSize bounds every size given: 16 PiB, past any registry's storage and
// far from overflowing the arithmetic on offsets.
const MaxSize = 1 << 54

// ParseSize reads a byte count: "4096", "512KiB", "4MB", "1.5GiB",
// "16PiB". KB, MB, GB, TB, PB are powers of 1000; KiB, MiB, GiB, TiB, PiB
// of 1024; units are case-insensitive.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return 0, fmt.Errorf("invalid size %q: negative", s)
	}
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	mult, ok := sizeUnits[strings.ToLower(unit)]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)", s, unit)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("invalid size %q: want a number and an optional unit, e.g. 4MiB", s)
	}
	bytes := v * mult
	if bytes > MaxSize {
		return 0, fmt.Errorf("invalid size %q: too large, more than the 16PiB a blob may have", s)
	}
	if bytes != math.Trunc(bytes) {
		return 0, fmt.Errorf("invalid size %q: not a whole number of bytes", s)
	}
	return int64(bytes), nil
}
