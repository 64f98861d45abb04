from narcowatch.cli import main

main()
