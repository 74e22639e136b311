-- Staff roles (docs/rules.md): an admin becomes an owner, and staff may also be reviewers or
-- finance. The SQLite twin of this file must stay equivalent.

-- +goose Up
ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'owner' WHERE role = 'admin';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('freelancer', 'reviewer', 'finance', 'owner'));

-- +goose Down
ALTER TABLE users DROP CONSTRAINT users_role_check;
UPDATE users SET role = 'admin' WHERE role <> 'freelancer';
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('freelancer', 'admin'));
