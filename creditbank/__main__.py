from creditbank.cli import main

main()
