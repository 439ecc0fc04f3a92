// Entry point: the only file that reads the environment and opens ports.
import { runServiceMain } from '@isd/kit';
import { visibilityService } from './service';

void runServiceMain(visibilityService);
