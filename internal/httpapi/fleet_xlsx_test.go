package httpapi_test

import (
	"bytes"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/fleet"
)

// rewriteExample replaces the template's example row with in (unit by name).
func rewriteExample(e *env, data []byte, in fleet.VehicleInput) []byte {
	e.t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	defer x.Close()
	unit := e.unitName(*in.UnitID)
	sheet := x.GetSheetList()[0]
	x.SetCellValue(sheet, "A2", *in.Plate)
	x.SetCellValue(sheet, "B2", unit)
	x.SetCellValue(sheet, "F2", *in.VIN)
	var buf bytes.Buffer
	x.Write(&buf)
	return buf.Bytes()
}

// driverXLSX is a one-row driver sheet.
func driverXLSX(e *env, in fleet.DriverInput) []byte {
	e.t.Helper()
	data, err := fleet.DriverTemplate()
	if err != nil {
		e.t.Fatal(err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		e.t.Fatal(err)
	}
	defer x.Close()
	sheet := x.GetSheetList()[0]
	x.SetCellValue(sheet, "B2", *in.IDCard)
	x.SetCellValue(sheet, "C2", e.unitName(*in.UnitID))
	var buf bytes.Buffer
	x.Write(&buf)
	return buf.Bytes()
}

func (e *env) unitName(id int64) string {
	e.t.Helper()
	var name string
	if err := e.w.DB.R.NewSelect().Table("units").Column("name").Where("id = ?", id).Scan(e.t.Context(), &name); err != nil {
		e.t.Fatal(err)
	}
	return name
}
