from daihuo.cli.main import main

main()
