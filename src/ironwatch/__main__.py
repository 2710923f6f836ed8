from ironwatch.cli.main import app

app()
