// Loads every builtin family into the registry.
import './core';
import './strings';
