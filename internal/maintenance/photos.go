package maintenance

import (
	"context"
	"io"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/store"
)

// PhotoKinds name the kinds of photo of a job.
var PhotoKinds = map[string]string{"problem": "故障照片", "invoice": "发票照片"}

// mayAddPhoto says who adds which photo: the problem's by the requester or
// whoever may request in the unit, the invoices' by the assigned shop.
func mayAddPhoto(a *access.Actor, j *Job, kind string) error {
	switch kind {
	case "problem":
		if j.RequestedBy == a.UserID {
			return nil
		}
		return staff(a, access.RepairRequest, j, "上传故障照片")
	case "invoice":
		return shop(a, j)
	}
	return (&errs.Fields{"kind": "照片类型须为故障照片（problem）或发票照片（invoice）"}).Err()
}

// AddPhoto stores a photo of the problem or an invoice; images are checked
// by content and stored like the registry's photos.
func (s *Service) AddPhoto(ctx context.Context, a *access.Actor, id int64, kind string, data []byte) (*Photo, error) {
	j, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !sees(a, j) {
		return nil, errs.E(errs.Forbidden, "该维修单不在您的管辖范围内")
	}
	if err := mayAddPhoto(a, j, kind); err != nil {
		return nil, err
	}
	img, err := s.Fleet.StoreImage(ctx, data)
	if err != nil {
		return nil, err
	}
	p := &Photo{JobID: id, Kind: kind, BlobKey: img.Key, ThumbKey: img.ThumbKey, ContentType: img.ContentType, Size: img.Size, CreatedBy: &a.UserID, CreatedAt: s.now()}
	_, err = s.act(ctx, a, id, "photo", func(tx bun.Tx, j *Job) (step, error) {
		if err := mayAddPhoto(a, j, kind); err != nil {
			return step{}, err
		}
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return step{}, err
		}
		return step{note: PhotoKinds[kind]}, nil
	})
	if err != nil {
		return nil, err
	}
	p.fill()
	return p, nil
}

// OpenPhoto returns a photo (or its thumbnail) of a job the actor sees.
func (s *Service) OpenPhoto(ctx context.Context, a *access.Actor, id, photoID int64, thumb bool) (*fleet.PhotoData, error) {
	j, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !sees(a, j) {
		return nil, errs.E(errs.Forbidden, "该维修单不在您的管辖范围内")
	}
	p := new(Photo)
	if err := s.DB.R.NewSelect().Model(p).Where("id = ? AND job_id = ?", photoID, id).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "照片不存在"))
	}
	key, ct := p.BlobKey, p.ContentType
	if thumb {
		key, ct = p.ThumbKey, "image/jpeg"
	}
	rc, err := s.Fleet.Blobs.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, errs.Wrap(err, "blob read")
	}
	return &fleet.PhotoData{ContentType: ct, Data: data}, nil
}
