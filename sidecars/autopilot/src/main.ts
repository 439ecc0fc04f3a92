// Entry point: the only file that reads the environment and opens ports.
import { runServiceMain } from '@isd/kit';
import { autopilotService } from './service';

void runServiceMain(autopilotService);
