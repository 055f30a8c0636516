/**
 * What each top-level command is for, in one line: the command files describe themselves with
 * these, and `nilm --help` lists them without loading any command (which would load the ML
 * package and take a second).
 */
export const SUMMARIES = {
  eval: 'Score a disaggregation method on data with sub-meters (MAE, RMSE, SAE, NDE, F1 and run-level F1 per appliance; share of the whole house explained)',
  fit: 'Fit a baseline (baseline:mean or baseline:co) on data and save it to a directory',
  train:
    'Train the multi-head transformer (config: data, appliances, model sizes, optimizer, schedule)',
  bench:
    'Inference windows/s (batch 64), training windows/s (batch 32), GFLOP per window and achieved GFLOP/s',
  models: 'The model registry: versions, the active one, verification',
  start:
    'Run the whole product in one process: API, worker, demo home (embedded stores unless configured)',
  serve:
    'Run the API only (scale out: several behind a load balancer, with DATABASE_URL, REDIS_URL, INFLUX_URL)',
  worker: 'Run a disaggregation worker only (needs REDIS_URL to share jobs with API processes)',
  replay:
    'Play a recorded data set (first series) to a running server as if it were a live meter: over HTTP with a device token, or over MQTT',
  import:
    "Import a recording's history into a building with its own timestamps: checked here first, then sent as one CSV file",
  data: 'Look at data sets',
} as const;

export type CommandName = keyof typeof SUMMARIES;
