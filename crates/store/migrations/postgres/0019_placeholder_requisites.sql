-- The requisites seeded before the Bank of Russia's checks (PAY/BIL-05) fail the control keys, so
-- billing and invoices would now be refused on a database that still holds them untouched. Only
-- those exact placeholders are replaced by ones that pass; requisites a person entered stay.
UPDATE billing_settings
SET personal_acc = '40702810900000000001',
    bank_name = 'ПАО Сбербанк (замените реквизиты)',
    bic = '047102651',
    corresp_acc = '30101810800000000651'
WHERE personal_acc = '40702810000000000001'
  AND bic = '047102000'
  AND corresp_acc = '30101810000000000000';
