-- The client search finds premises by the flat alone («кв. 118», ACC-04): an index instead of a
-- scan of every premises.
CREATE INDEX premises_apartment ON premises (apartment);
