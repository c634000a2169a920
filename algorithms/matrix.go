package algorithms

import "gonum.org/v1/gonum/mat"

// Matrix is a dense row-major matrix of float64: row i is Data[i*Cols : (i+1)*Cols]. It is the shape every
// method consumes; rows are entities, columns are prepared features.
type Matrix struct {
	Rows int       `json:"rows"`
	Cols int       `json:"cols"`
	Data []float64 `json:"data"`
}

// NewMatrix returns a zeroed rows×cols matrix.
func NewMatrix(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
}

// Row returns row i as a slice sharing the matrix's storage.
func (m *Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// At returns the element at row i, column j.
func (m *Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// Dense views the matrix as a gonum matrix without copying, for the linear algebra gonum does better.
func (m *Matrix) Dense() *mat.Dense {
	if m.Rows == 0 || m.Cols == 0 {
		return &mat.Dense{}
	}
	return mat.NewDense(m.Rows, m.Cols, m.Data)
}
