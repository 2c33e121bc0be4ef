"""Operations runners: scans and checks of the infrastructure JobForge users run."""
