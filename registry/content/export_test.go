package content

// LoadCounts are what loads did in this process.
type LoadCounts struct{ Reads, Hashes, Compressions int64 }

// Counts tells tests how many files were read, layers hashed and layers
// compressed, so work meant to be done once can be counted.
func Counts() LoadCounts {
	return LoadCounts{Reads: counts.reads.Load(), Hashes: counts.hashes.Load(), Compressions: counts.compressions.Load()}
}
