CREATE TABLE placeholder (id INTEGER);
