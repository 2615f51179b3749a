package booking

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/attachment"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Blobs stores attachment bytes (the registry's content-addressed store).
type Blobs interface {
	Put(ctx context.Context, data []byte) (string, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// readBlob returns an attachment's bytes.
func readBlob(ctx context.Context, blobs Blobs, key string) ([]byte, error) {
	rc, err := blobs.Get(ctx, key)
	if err != nil {
		return nil, errs.Wrap(err, "open attachment")
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, errs.Wrap(err, "read attachment")
	}
	return data, nil
}

// Attach adds a file to an order the actor may see and act on.
func (s *Service) Attach(ctx context.Context, a *access.Actor, blobs Blobs, id int64, name string, data []byte) (*Attachment, error) {
	name, ct, err := attachment.Check(name, data)
	if err != nil {
		return nil, err
	}
	o, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	// Only the applicant, or an approver or dispatcher over the order's
	// unit, adds files; a colleague who merely applies in the same unit
	// does not (issue 19).
	if o.ApplicantID != a.UserID && !((a.Has(access.OrderApprove) || a.Has(access.OrderDispatch)) && a.Covers(o.UnitPath)) {
		return nil, errs.E(errs.Forbidden, "只有申请人及本单位的审批人、调度员可以为该订单添加附件")
	}
	if o.State == Closed || o.State == Cancelled {
		return nil, errs.E(errs.Conflict, "订单已%s，不能再添加附件", o.StateName)
	}
	key, err := blobs.Put(ctx, data)
	if err != nil {
		return nil, errs.Wrap(err, "store attachment")
	}
	att := &Attachment{OrderID: id, BlobKey: key, Filename: name, ContentType: ct, Size: int64(len(data)), CreatedAt: s.now()}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(att).Exec(ctx); err != nil {
			return err
		}
		if err := event(ctx, tx, a, id, "attach", o.State, o.State, name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: orderActions["attach"], ObjectType: audit.Order, ObjectID: id, ScopePath: o.UnitPath,
			Summary: fmt.Sprintf("订单 %s 添加附件「%s」", o.No, name)})
	})
	if err != nil {
		return nil, err
	}
	return att, nil
}

// OpenAttachment returns an attachment of an order the actor may see.
func (s *Service) OpenAttachment(ctx context.Context, a *access.Actor, blobs Blobs, id, attID int64) (*Attachment, []byte, error) {
	o, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, nil, err
	}
	if !sees(a, o) {
		return nil, nil, errs.E(errs.Forbidden, "该订单不在您的管辖范围内")
	}
	att := new(Attachment)
	if err := s.DB.R.NewSelect().Model(att).Where("id = ? AND order_id = ?", attID, id).Scan(ctx); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return nil, nil, errs.E(errs.NotFound, "附件不存在")
		}
		return nil, nil, store.Translate(err)
	}
	data, err := readBlob(ctx, blobs, att.BlobKey)
	if err != nil {
		return nil, nil, err
	}
	return att, data, nil
}

// Rating is one rated order of a driver.
type Rating struct {
	OrderID   int64     `bun:"id" json:"order_id"`
	No        string    `bun:"no" json:"no"`
	Rating    int       `bun:"rating" json:"rating"`
	Comment   string    `bun:"rating_comment" json:"comment"`
	Applicant string    `bun:"applicant_name" json:"applicant_name"`
	RatedAt   time.Time `bun:"rated_at" json:"rated_at"`
}

// Ratings is a driver's rating history and average (R-13(6)).
type Ratings struct {
	DriverID int64     `json:"driver_id"`
	Count    int       `json:"count"`
	Average  float64   `json:"average"`
	Items    []*Rating `json:"items"`
}

// DriverRatings returns the ratings of a driver in the actor's scope.
func (s *Service) DriverRatings(ctx context.Context, a *access.Actor, driverID int64) (*Ratings, error) {
	var path string
	err := s.DB.R.NewSelect().TableExpr("drivers AS d").ColumnExpr("u.path").Join("JOIN units AS u ON u.id = d.unit_id").Where("d.id = ?", driverID).Scan(ctx, &path)
	if err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "驾驶员不存在或已删除"))
	}
	if !a.Covers(path) {
		return nil, errs.E(errs.Forbidden, "该驾驶员不在您的管辖范围内")
	}
	r := &Ratings{DriverID: driverID, Items: []*Rating{}}
	if err := s.DB.R.NewSelect().Table("orders").ColumnExpr("id, no, rating, rating_comment, applicant_name, rated_at").
		Where("driver_id = ? AND rating IS NOT NULL", driverID).OrderExpr("rated_at DESC").Limit(200).Scan(ctx, &r.Items); err != nil {
		return nil, store.Translate(err)
	}
	var n, sum int
	if err := s.DB.R.NewSelect().Table("orders").ColumnExpr("COUNT(*), COALESCE(SUM(rating), 0)").
		Where("driver_id = ? AND rating IS NOT NULL", driverID).Scan(ctx, &n, &sum); err != nil {
		return nil, store.Translate(err)
	}
	r.Count = n
	if n > 0 {
		r.Average = float64(sum*100/n) / 100
	}
	return r, nil
}
