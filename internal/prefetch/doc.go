// Package prefetch asks the CPU for memory a reader is about to need, so
// that the wait for it overlaps work: the capture readers ask for the
// frames ahead of the one being decoded, the analysis writer for the
// records ahead of the one its consumers read.
package prefetch
