package duckdb

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	bindings "github.com/duckdb/duckdb-go-bindings"
	duckdbgo "github.com/duckdb/duckdb-go/v2"
)

// chunkAppender appends rows to a table by writing DuckDB data chunks
// directly through DuckDB's C API: numbers into the vectors' memory,
// strings of up to 12 bytes inlined in place, longer ones through one C
// call without UTF-8 validation when they are ASCII (addresses, uids,
// service names and history letters are).
//
// It is the connection table's write path: duckdb-go's Appender boxes
// every value into a driver.Value (an allocation each for most of a
// connection's 19 columns) and makes one C call per string; this path
// makes neither, and takes a third less CPU per row
// (BenchmarkAppendConn). Only the types the connection table uses are
// supported; newChunkAppender checks the table's column types against
// the ones the caller will write.
type chunkAppender struct {
	app   bindings.Appender
	chunk bindings.DataChunk
	cols  []chunkColumn
	rows  int // rows in the current chunk
	cap   int // rows a chunk holds
	total int // rows since the last flush
}

type chunkColumn struct {
	vec   bindings.Vector
	data  unsafe.Pointer
	valid []uint64 // nil until the chunk's first NULL in the column
}

// Column kinds a chunkAppender writes; an ENUM column is written as its
// dictionary index and must have fewer than 256 values.
const (
	kindDouble = bindings.TypeDouble
	kindBigint = bindings.TypeBigInt
	kindInt    = bindings.TypeInteger
	kindU16    = bindings.TypeUSmallInt
	kindU8     = bindings.TypeUTinyInt
	kindText   = bindings.TypeVarchar
	kindEnum8  = bindings.TypeEnum
)

// errNoRawConnection says the driver connection does not expose DuckDB's
// C connection; callers fall back to duckdb-go's Appender.
var errNoRawConnection = errors.New("store: no raw DuckDB connection")

// rawConnection returns the C connection under a duckdb-go connection.
// duckdb-go keeps it unexported; the field is found by name and type, so
// a driver version that changes it makes this fail (and the callers fall
// back) instead of misreading memory. TestChunkAppenderUsed catches that.
func rawConnection(dc any) (bindings.Connection, error) {
	c, ok := dc.(*duckdbgo.Conn)
	if !ok || c == nil {
		return bindings.Connection{}, errNoRawConnection
	}
	f := reflect.ValueOf(c).Elem().FieldByName("conn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[bindings.Connection]() {
		return bindings.Connection{}, errNoRawConnection
	}
	raw := *(*bindings.Connection)(unsafe.Pointer(f.UnsafeAddr()))
	if raw.Ptr == nil {
		return bindings.Connection{}, errNoRawConnection
	}
	return raw, nil
}

// newChunkAppender opens an appender on table, whose columns must be of
// the given kinds.
func newChunkAppender(dc driver.Conn, table string, kinds []bindings.Type) (*chunkAppender, error) {
	conn, err := rawConnection(dc)
	if err != nil {
		return nil, err
	}
	a := &chunkAppender{cap: int(bindings.VectorSize())}
	if bindings.AppenderCreate(conn, "", table, &a.app) == bindings.StateError {
		msg := bindings.AppenderError(a.app)
		bindings.AppenderDestroy(&a.app)
		return nil, fmt.Errorf("store: appender on %s: %s", table, msg)
	}
	types, err := a.columnTypes(table, kinds)
	defer func() {
		for i := range types {
			bindings.DestroyLogicalType(&types[i])
		}
	}()
	if err != nil {
		bindings.AppenderDestroy(&a.app)
		return nil, err
	}
	a.chunk = bindings.CreateDataChunk(types)
	a.cols = make([]chunkColumn, len(kinds))
	a.resetChunk()
	return a, nil
}

// columnTypes returns the table's column types, checked against kinds.
func (a *chunkAppender) columnTypes(table string, kinds []bindings.Type) ([]bindings.LogicalType, error) {
	n := int(bindings.AppenderColumnCount(a.app))
	types := make([]bindings.LogicalType, 0, n)
	for i := range n {
		types = append(types, bindings.AppenderColumnType(a.app, bindings.IdxT(i)))
	}
	if n != len(kinds) {
		return types, fmt.Errorf("store: %s has %d columns, the chunk writer %d", table, n, len(kinds))
	}
	for i, t := range types {
		got := bindings.GetTypeId(t)
		if got == bindings.TypeEnum && bindings.EnumInternalType(t) != bindings.TypeUTinyInt {
			got = bindings.TypeInvalid
		}
		if got != kinds[i] {
			return types, fmt.Errorf("store: %s column %d is type %d, the chunk writer expects %d", table, i, got, kinds[i])
		}
	}
	return types, nil
}

// resetChunk empties the chunk and takes its vectors' addresses again.
func (a *chunkAppender) resetChunk() {
	bindings.DataChunkReset(a.chunk)
	for i := range a.cols {
		v := bindings.DataChunkGetVector(a.chunk, bindings.IdxT(i))
		a.cols[i] = chunkColumn{vec: v, data: bindings.VectorGetData(v)}
	}
	a.rows = 0
}

// Row returns the index of a new row in the current chunk; set its values
// with the setters, then call Done.
func (a *chunkAppender) Row() int { return a.rows }

// Done ends the row, appending the chunk when it is full and committing
// every flushRows rows.
func (a *chunkAppender) Done() error {
	a.rows++
	a.total++
	if a.rows == a.cap {
		if err := a.appendChunk(); err != nil {
			return err
		}
	}
	if a.total >= flushRows {
		a.total = 0
		if err := a.appendChunk(); err != nil {
			return err
		}
		if bindings.AppenderFlush(a.app) == bindings.StateError {
			return errors.New(bindings.AppenderError(a.app))
		}
	}
	return nil
}

func (a *chunkAppender) appendChunk() error {
	if a.rows == 0 {
		return nil
	}
	bindings.DataChunkSetSize(a.chunk, bindings.IdxT(a.rows))
	if bindings.AppendDataChunk(a.app, a.chunk) == bindings.StateError {
		return errors.New(bindings.AppenderError(a.app))
	}
	a.resetChunk()
	return nil
}

// Close appends what is left, commits and frees the appender.
func (a *chunkAppender) Close() error {
	err := a.appendChunk()
	if err == nil && bindings.AppenderClose(a.app) == bindings.StateError {
		err = errors.New(bindings.AppenderError(a.app))
	}
	bindings.AppenderDestroy(&a.app)
	bindings.DestroyDataChunk(&a.chunk)
	return err
}

// Null makes column col of row NULL.
func (a *chunkAppender) Null(col, row int) {
	c := &a.cols[col]
	if c.valid == nil {
		bindings.VectorEnsureValidityWritable(c.vec)
		c.valid = unsafe.Slice((*uint64)(bindings.VectorGetValidity(c.vec)), (a.cap+63)/64)
	}
	c.valid[row/64] &^= 1 << (row % 64)
}

func (a *chunkAppender) Double(col, row int, v float64) {
	unsafe.Slice((*float64)(a.cols[col].data), a.cap)[row] = v
}

func (a *chunkAppender) Bigint(col, row int, v int64) {
	unsafe.Slice((*int64)(a.cols[col].data), a.cap)[row] = v
}

func (a *chunkAppender) Int(col, row int, v int32) {
	unsafe.Slice((*int32)(a.cols[col].data), a.cap)[row] = v
}

func (a *chunkAppender) U16(col, row int, v uint16) {
	unsafe.Slice((*uint16)(a.cols[col].data), a.cap)[row] = v
}

// U8 writes a UTINYINT, or an ENUM's dictionary index.
func (a *chunkAppender) U8(col, row int, v uint8) {
	unsafe.Slice((*uint8)(a.cols[col].data), a.cap)[row] = v
}

// stringT is DuckDB's duckdb_string_t as it holds a string of up to 12
// bytes: its length, then the bytes, zero-padded.
type stringT struct {
	n    uint32
	text [12]byte
}

// TextOrNull writes a string, "" as NULL.
func (a *chunkAppender) TextOrNull(col, row int, s string) {
	if s == "" {
		a.Null(col, row)
		return
	}
	a.Text(col, row, s)
}

// Text writes a string. ASCII strings skip DuckDB's UTF-8 check; others
// go through it (and invalid UTF-8 becomes NULL).
func (a *chunkAppender) Text(col, row int, s string) {
	if !isASCII(s) {
		bindings.VectorAssignStringElement(a.cols[col].vec, bindings.IdxT(row), s)
		return
	}
	if len(s) <= 12 {
		st := stringT{n: uint32(len(s))}
		copy(st.text[:], s)
		unsafe.Slice((*stringT)(a.cols[col].data), a.cap)[row] = st
		return
	}
	bindings.UnsafeVectorAssignStringElementLen(a.cols[col].vec, bindings.IdxT(row), unsafe.Slice(unsafe.StringData(s), len(s)))
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
