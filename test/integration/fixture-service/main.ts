// Runs the fixture service as its own process (spawned by tests with tsx).
import { runServiceMain } from '@isd/kit';
import { fixtureService } from './fixture-service';

void runServiceMain(fixtureService);
