// Entry point: the only file that reads the environment and opens ports.
import { runServiceMain } from '@isd/kit';
import { saporService } from './service';

void runServiceMain(saporService);
