// Loads every builtin family into the registry.
import './core';
import './strings';
import './encoding';
import './net';
import './crypto';
import './jwt';
import './time';
import './misc';
import './http';
import './globs';
import './x509';
import './template';
import './go-template';
import './units';
import './providers';
import './jsonschema';
import './graphql';
