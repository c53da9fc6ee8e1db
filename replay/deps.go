package replay

import (
	"net/http"
	"slices"
	"sort"
)

// depScan bounds how far back the planner looks, per object, for the write
// a step waits for: a hot tag is written often, and the one that matters
// is among the last.
const depScan = 64

// writeEvent is a successful write of an object: the step and its end.
type writeEvent struct {
	step int
	end  float64
}

// linkClients records, for each step, the steps of other clients it waits
// for in the replay. A read waits for the last write of what it read that
// had ended, in the source, before the read started: it saw that write. A
// write waits for the last write of the same object before it, and for the
// last read of another client that found the object missing before it
// started, so the replay does not make it appear too early. Every wait is
// for a step that started earlier, so waits never go round in a circle.
func linkClients(actions []*action) {
	writes := map[object][]writeEvent{}
	missing := map[object]int{}
	for i, a := range actions {
		var after []int
		wait := func(j int) {
			if !slices.Contains(after, j) {
				after = append(after, j)
			}
		}
		for _, o := range a.reads {
			if j, ok := lastEnded(writes[o], a.step.At, a.step.Client, actions); ok {
				wait(j)
			}
		}
		for _, o := range a.writes {
			// Lists and the catalog change with every push; only a read of
			// them waits for the last.
			if o.kind == 'l' || o.kind == 'c' {
				continue
			}
			if j, ok := lastEnded(writes[o], a.step.At, a.step.Client, actions); ok {
				wait(j)
			}
			if j, ok := missing[o]; ok && actions[j].step.Client != a.step.Client {
				wait(j)
			}
		}
		slices.Sort(after)
		a.step.After = after
		if a.step.Status == http.StatusNotFound {
			for _, o := range a.reads {
				missing[o] = i
			}
		}
		if a.ok() {
			for _, o := range a.writes {
				w := append(writes[o], writeEvent{step: i, end: a.step.End})
				if len(w) > 2*depScan {
					w = append([]writeEvent(nil), w[len(w)-depScan:]...)
				}
				writes[o] = w
				delete(missing, o)
			}
		}
	}
}

// lastEnded is the write, by a client other than client, that ended last
// at or before at.
func lastEnded(events []writeEvent, at float64, client int, actions []*action) (int, bool) {
	best, bestEnd, found := 0, -1.0, false
	for k := len(events) - 1; k >= 0 && k >= len(events)-depScan; k-- {
		e := events[k]
		if e.end <= at && e.end > bestEnd && actions[e.step].step.Client != client {
			best, bestEnd, found = e.step, e.end, true
		}
	}
	return best, found
}

// countRaces counts the reads that overlapped, in the source, a successful
// write of what they read by another client: whether such a read saw the
// write is a race the log cannot tell, and a replay may settle it the
// other way. Their number bounds the status mismatches to expect.
func countRaces(actions []*action) int {
	type span struct {
		start, end float64
		client     int
	}
	writes := map[object][]span{}
	for _, a := range actions {
		if a.ok() {
			for _, o := range a.writes {
				writes[o] = append(writes[o], span{a.step.At, a.step.End, a.step.Client})
			}
		}
	}
	races := 0
	for _, a := range actions {
	reads:
		for _, o := range a.reads {
			ws := writes[o]
			// Writes are in order of their start; those that started before
			// the read ended are below n.
			n := sort.Search(len(ws), func(k int) bool { return ws[k].start >= a.step.End })
			for k := n - 1; k >= 0 && k >= n-depScan; k-- {
				if ws[k].end >= a.step.At && ws[k].client != a.step.Client {
					races++
					break reads
				}
			}
		}
	}
	return races
}
